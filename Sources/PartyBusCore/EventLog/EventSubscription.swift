import DequeModule
import PartyBusPluginAPI
import Synchronization

/// A catch-up subscription: every matching event from a seq on, read from the log, then live as they commit,
/// each exactly once and in order.
///
/// Its live buffer is bounded: when a consumer falls behind by more than `bufferCapacity` events, the buffer is
/// dropped and the subscription reads from the log again until it catches up (`overflowCount` counts this). The
/// writer never waits for a consumer, and nothing is lost.
public final class EventSubscription: AsyncSequence, Sendable {
    public typealias Element = Event

    let core: SubscriptionCore

    init(core: SubscriptionCore) { self.core = core }

    deinit { core.cancel() }

    /// Ends the subscription; a waiting `next()` returns nil.
    public func cancel() { core.cancel() }

    /// How often the live buffer overflowed and the subscription fell back to reading the log.
    public var overflowCount: Int { core.overflowCount }

    /// The next seq this subscription will hand out or look at: every earlier event was handed out or filtered.
    public var position: UInt64 { core.position }

    /// `position` and the last seq handed out, read together (for "has the consumer handled everything?").
    var progress: (position: UInt64, delivered: UInt64) { core.progress }

    /// Waits for the next batch of events (at most `maxCount`, at least one); nil when cancelled.
    public func nextBatch(maxCount: Int = 4096) async throws -> [Event]? {
        try await core.nextBatch(maxCount: maxCount)
    }

    public func makeAsyncIterator() -> Iterator { Iterator(subscription: self) }

    /// Hands out events one by one from batches.
    public struct Iterator: AsyncIteratorProtocol {
        let subscription: EventSubscription
        var batch: [Event] = []
        var index = 0

        public mutating func next() async throws -> Event? {
            if index < batch.count {
                defer { index += 1 }
                return batch[index]
            }
            guard let next = try await subscription.core.nextBatch(maxCount: 4096) else { return nil }
            batch = next
            index = 1
            return next[0]
        }
    }
}

/// The shared state of one subscription, between its consumer and the hub.
final class SubscriptionCore: Sendable {
    private struct State {
        var buffer: Deque<Event> = []
        var live = false
        /// Next seq to read from the log while not live.
        var next: UInt64
        var waiter: CheckedContinuation<Void, Never>?
        var cancelled = false
        var overflows = 0
        /// Every seq up to this one has been handed out or filtered away.
        var scanned: UInt64
        /// The last seq handed out to the consumer (0: none yet).
        var delivered: UInt64 = 0
        /// Reads of consecutive seq spans already under way, from `next` on (catch-up read-ahead).
        var readAhead: Deque<ReadAhead> = []
    }

    /// One read of the seq span `first…last` running in its own task.
    struct ReadAhead: Sendable {
        let first: UInt64
        let last: UInt64
        let task: Task<[Event], any Error>
    }

    /// How many spans are read at once while far behind (the consumer works while they are read).
    private static let readAheadDepth = 2

    private let state: Mutex<State>
    private let hub: LiveHub
    private let reader: EventLogReader
    private let filter: EventFilter
    private let capacity: Int
    private let pageSize: Int

    init(from: UInt64, filter: EventFilter, capacity: Int, pageSize: Int, hub: LiveHub, reader: EventLogReader) {
        state = Mutex(State(next: max(from, 1), scanned: max(from, 1) - 1))
        self.filter = filter
        self.capacity = max(capacity, 1)
        self.pageSize = pageSize
        self.hub = hub
        self.reader = reader
    }

    var overflowCount: Int { state.withLock { $0.overflows } }

    var position: UInt64 { state.withLock { $0.buffer.first?.seq ?? $0.scanned + 1 } }

    /// `position` and the last seq handed out, read together: everything before the position has been handed out
    /// or filtered away, and whether the consumer has finished what was handed out is the consumer's to say.
    var progress: (position: UInt64, delivered: UInt64) {
        state.withLock { ($0.buffer.first?.seq ?? $0.scanned + 1, $0.delivered) }
    }

    /// Called by the hub (under its lock) with a committed batch; false to be dropped from the live set.
    func offer(_ events: [Event]) -> Bool {
        state.withLock { state in
            guard state.live, !state.cancelled else { return false }
            for event in events where filter.matches(event) {
                if state.buffer.count >= capacity {
                    state.next = state.buffer.first?.seq ?? event.seq
                    state.buffer.removeAll()
                    state.live = false
                    state.overflows += 1
                    state.waiter?.resume()
                    state.waiter = nil
                    return false
                }
                state.buffer.append(event)
            }
            state.scanned = events.last!.seq
            if !state.buffer.isEmpty, let waiter = state.waiter {
                state.waiter = nil
                waiter.resume()
            }
            return true
        }
    }

    /// Called by the hub when it takes this subscription live.
    func markLive() {
        state.withLock { $0.live = true }
    }

    func cancel() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.cancelled = true
            for read in state.readAhead { read.task.cancel() }
            state.readAhead.removeAll()
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
        hub.remove(self)
    }

    private enum Step {
        case deliver([Event])
        case wait
        case readLog(UInt64)
        case end
    }

    func nextBatch(maxCount: Int) async throws -> [Event]? {
        while true {
            if Task.isCancelled { return nil }
            let step = state.withLock { state -> Step in
                if state.cancelled { return .end }
                if !state.buffer.isEmpty {
                    let count = min(maxCount, state.buffer.count)
                    let batch = Array(state.buffer.prefix(count))
                    state.buffer.removeFirst(count)
                    state.delivered = batch.last!.seq
                    return .deliver(batch)
                }
                return state.live ? .wait : .readLog(state.next)
            }
            switch step {
            case .end:
                return nil
            case .deliver(let batch):
                return batch
            case .wait:
                await waitForEvents()
            case .readLog(let next):
                let head = hub.head
                if next > head {
                    _ = hub.goLive(self, next: next)
                    continue
                }
                if let events = try await readAhead(from: next, head: head, maxCount: maxCount) {
                    if !events.isEmpty { return events }
                    continue
                }
                let limit = min(maxCount, pageSize)
                let events = try reader.read(from: next, to: head, filter: filter, limit: limit)
                let newNext = events.count == limit ? events.last!.seq + 1 : head + 1
                let stillOurs = state.withLock { state -> Bool in
                    guard !state.live, state.next == next, !state.cancelled else { return false }
                    state.next = newNext
                    state.scanned = newNext - 1
                    if let last = events.last { state.delivered = last.seq }
                    return true
                }
                if stillOurs && !events.isEmpty { return events }
            }
        }
    }

    /// Far behind the head, reads consecutive seq spans in parallel tasks, one span ahead of the consumer per
    /// extra core; returns nil when close to the head (the plain paged read is used there).
    private func readAhead(from next: UInt64, head: UInt64, maxCount: Int) async throws -> [Event]? {
        let span = UInt64(min(maxCount, pageSize))
        let queued = state.withLock { state -> ReadAhead? in
            if let first = state.readAhead.first, first.first == next { return first }
            for stale in state.readAhead { stale.task.cancel() }
            state.readAhead.removeAll()
            return nil
        }
        if queued == nil && head - next + 1 < span * UInt64(SubscriptionCore.readAheadDepth) { return nil }
        // Keep `readAheadDepth` spans under way.
        let (reader, filter) = (self.reader, self.filter)
        let current = state.withLock { state -> ReadAhead in
            var start = state.readAhead.last.map { $0.last + 1 } ?? next
            while state.readAhead.count < SubscriptionCore.readAheadDepth && start <= head {
                let end = min(start + span - 1, head)
                let (from, to) = (start, end)
                let task = Task { try reader.read(from: from, to: to, filter: filter, limit: Int(span)) }
                state.readAhead.append(ReadAhead(first: start, last: end, task: task))
                start = end + 1
            }
            return state.readAhead.first!
        }
        let events = try await current.task.value
        let stillOurs = state.withLock { state -> Bool in
            guard !state.live, state.next == next, !state.cancelled, state.readAhead.first?.first == next else {
                return false
            }
            state.readAhead.removeFirst()
            state.next = current.last + 1
            state.scanned = current.last
            if let last = events.last { state.delivered = last.seq }
            return true
        }
        return stillOurs ? events : []
    }

    private func waitForEvents() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.cancelled || !state.buffer.isEmpty || !state.live { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
