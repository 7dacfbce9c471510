// The `voice.*` payloads (`VoiceStarted`, `VoiceSpeaking`, …) live in the plugin API,
// `Sources/PartyBusPluginAPI/Payloads/VoicePayloads.swift`, so plugins link the same types this module writes. Add
// new voice event payloads there.
