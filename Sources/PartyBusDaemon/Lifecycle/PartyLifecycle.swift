public import PSN
public import PartyVoice

/// Party actions that are more than one PSN call, in the order psn-protocol.md G prescribes.
public struct PartyLifecycle: Sendable {
    let client: PSNClient
    let voice: PartyVoice?

    /// Leaves a party: voice for it stops first (G 17: DELETE the bridge peer, DELETE the bridge), then we leave
    /// (G 18: DELETE members/me). Returns whether voice was running for it.
    @discardableResult
    public func leave(_ sessionId: String) async throws -> Bool {
        var stopped = false
        if let voice, await voice.status().sessionId?.lowercased() == sessionId.lowercased() {
            await voice.stop(reason: "leaving the party")
            stopped = true
        }
        try await client.parties.leave(sessionId)
        return stopped
    }

    /// Accepts an invitation: accepting is joining (B.7).
    public func accept(_ sessionId: String) async throws {
        try await client.parties.join(sessionId)
    }
}
