public import PartyBusPluginAPI
import Synchronization

/// State derived only from events: folded from the log from seq 1, so it can always be rebuilt or replayed.
public protocol Projection: Sendable, Encodable {
    /// A short name for reports (`plugins`, `streams`, `parties` …).
    static var name: String { get }
    /// Which events change it.
    static var filter: EventFilter { get }
    /// The state before any event.
    init()
    /// Applies one event (never throws: an event it cannot read is ignored or noted in the state).
    mutating func apply(_ event: Event)
}

extension Projection {
    /// Folds every matching event of `log` up to `seq` into a fresh state.
    public static func fold(_ log: EventLog, through seq: UInt64 = .max) throws -> Self {
        var state = Self()
        var next: UInt64 = 1
        while true {
            let page = try log.read(from: next, to: seq, filter: filter, limit: 4096)
            for event in page { state.apply(event) }
            guard page.count == 4096, let last = page.last else { return state }
            next = last.seq + 1
        }
    }
}

/// A projection kept current by a subscription: folds the log, then every new event as it commits.
public final class LiveProjection<State: Projection>: Sendable {
    private let state = Mutex(State())
    private let position = Mutex<UInt64>(0)
    private let waiters = Mutex<[(UInt64, CheckedContinuation<Void, Never>)]>([])
    private let log: EventLog

    /// A projection over `log`; call `run()` to keep it current.
    public init(log: EventLog) { self.log = log }

    /// The state now.
    public var current: State { state.withLock { $0 } }

    /// The last seq folded in.
    public var seq: UInt64 { position.withLock { $0 } }

    /// Folds until cancelled.
    public func run() async throws {
        // Every event, not only matching ones: the position must pass events the projection ignores, or a
        // `waitUntilFolded` for such an event would never return.
        let feed = log.subscribe(from: 1, filter: .all, bufferCapacity: 4096)
        defer { feed.cancel() }
        let filter = State.filter
        while let batch = try await feed.nextBatch() {
            state.withLock { state in
                for event in batch where filter.matches(event) { state.apply(event) }
            }
            position.withLock { $0 = batch.last!.seq }
            resumeWaiters()
        }
    }

    /// Waits until every event up to `seq` has been folded in (or skipped, when the filter does not match it).
    public func waitUntilFolded(_ seq: UInt64) async {
        if position.withLock({ $0 }) >= seq { return }
        await withCheckedContinuation { continuation in
            let ready = position.withLock { position -> Bool in
                if position >= seq { return true }
                waiters.withLock { $0.append((seq, continuation)) }
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private func resumeWaiters() {
        let ready = position.withLock { position in
            waiters.withLock { waiters -> [CheckedContinuation<Void, Never>] in
                let due = waiters.filter { $0.0 <= position }.map(\.1)
                waiters.removeAll { $0.0 <= position }
                return due
            }
        }
        ready.forEach { $0.resume() }
    }
}
