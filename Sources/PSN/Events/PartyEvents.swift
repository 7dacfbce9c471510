// The `party.*` payloads (`PartyCreated`, `PartyMemberJoined`, … and the `PartyMember` / `PartySession` objects) live
// in the plugin API, `Sources/PartyBusPluginAPI/Payloads/PartyPayloads.swift`, so plugins link the same types this
// module writes. Add new party event payloads there.
