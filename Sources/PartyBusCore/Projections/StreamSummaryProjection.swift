public import PartyBusPluginAPI

/// Per stream: how many events, the last type and when, so a replay shows what state each stream ended in.
public struct StreamSummaryProjection: Projection, Equatable {
    public static let name = "streams"
    public static let filter = EventFilter.all

    /// One stream.
    public struct Entry: Sendable, Codable, Equatable {
        /// Events on the stream.
        public var count: Int = 0
        /// The last event's type.
        public var lastType: String = ""
        /// The last event's seq.
        public var lastSeq: UInt64 = 0
    }

    /// Streams by name.
    public var streams: [String: Entry] = [:]

    public init() {}

    public mutating func apply(_ event: Event) {
        var entry = streams[event.stream, default: Entry()]
        entry.count += 1
        entry.lastType = event.type
        entry.lastSeq = event.seq
        streams[event.stream] = entry
    }
}
