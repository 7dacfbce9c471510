import Synchronization

/// The sending end of a graph's `events`, fed from GStreamer's threads: bounded (it keeps the newest `capacity`
/// events a slow consumer has not taken yet; level readings are most of them) and every event it drops is counted,
/// per graph and process-wide (`/metrics`: `partybus_voice_events_dropped`), never silently lost.
struct GraphEventFeed: Sendable {
    /// Events a consumer may be behind by before the oldest are dropped.
    static let defaultCapacity = 4096
    private static let droppedInProcess = Atomic<Int>(0)

    let stream: AsyncStream<VoiceGraphEvent>
    private let continuation: AsyncStream<VoiceGraphEvent>.Continuation
    private let drops = DropCount()

    init(capacity: Int = Self.defaultCapacity) {
        (stream, continuation) = AsyncStream.makeStream(
            of: VoiceGraphEvent.self, bufferingPolicy: .bufferingNewest(max(capacity, 1)))
    }

    /// Offers an event; a full buffer drops its oldest event, which is counted.
    func yield(_ event: VoiceGraphEvent) {
        if case .dropped = continuation.yield(event) {
            drops.add()
            Self.droppedInProcess.add(1, ordering: .relaxed)
        }
    }

    /// Ends the stream.
    func finish() { continuation.finish() }

    /// Events this feed dropped.
    var dropped: Int { drops.value }

    /// Events every graph of this process dropped so far.
    static var droppedTotal: Int { droppedInProcess.load(ordering: .relaxed) }
}

private final class DropCount: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
