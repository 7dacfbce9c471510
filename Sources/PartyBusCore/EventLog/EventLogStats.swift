/// Counts and sizes of a log, for `partybus events stats`.
public struct EventLogStats: Sendable, Codable, Equatable {
    /// Number of events.
    public var count: UInt64
    /// First and last seq (0 when empty).
    public var firstSeq: UInt64
    /// Last seq.
    public var lastSeq: UInt64
    /// Time of the first and last event (ms since 1970; 0 when empty).
    public var firstAt: Int64
    /// Time of the last event.
    public var lastAt: Int64
    /// Events per type, most frequent first.
    public var byType: [Count]
    /// Events per stream, most frequent first.
    public var byStream: [Count]
    /// Bytes of the database file plus its WAL.
    public var fileBytes: Int64
    /// Saved plugin checkpoints.
    public var checkpoints: [String: UInt64]

    /// A name and how often it occurs.
    public struct Count: Sendable, Codable, Equatable {
        /// The type or stream.
        public var name: String
        /// How many events.
        public var count: UInt64
    }
}
