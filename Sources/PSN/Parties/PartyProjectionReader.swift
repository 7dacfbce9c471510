public import PartyBusCore

extension PartyProjection {
    /// The parties as plugins see them (`PluginContext.parties()`), members by join order, sorted by session id.
    public var views: [PartyView] {
        parties.keys.sorted().compactMap { id in
            guard let party = parties[id] else { return nil }
            return PartyView(
                sessionId: id, name: party.name, ownerAccountId: party.ownerAccountId, maxMembers: party.maxMembers,
                members: members(of: id))
        }
    }
}

/// The daemon's live party projection, read by plugins: a plugin handling event N waits (briefly) until the
/// projection has folded N, so it never sees a party older than the event in its hands.
extension LiveProjection: PartyProjectionReader where State == PartyProjection {
    public func parties(through seq: UInt64?) async -> [PartyView] {
        if let seq, self.seq < seq { await waitUntilFolded(seq) }
        return current.views
    }
}

/// A party reader over any log that folds the projection on each call: for replays and `plugins test`, where the
/// log is small and no live projection runs.
public struct FoldedPartyReader: PartyProjectionReader {
    /// The log folded.
    public let log: EventLog
    /// Reads `log`.
    public init(log: EventLog) { self.log = log }

    public func parties(through seq: UInt64?) async -> [PartyView] {
        (try? PartyProjection.fold(log, through: seq ?? log.head))?.views ?? []
    }
}
