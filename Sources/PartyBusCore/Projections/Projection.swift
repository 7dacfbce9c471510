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
    private struct Waiter {
        var id: UInt64
        var seq: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct Progress {
        var position: UInt64 = 0
        /// False once `run()` has returned: nobody folds any more, so nobody may wait.
        var folding = true
        var nextWaiter: UInt64 = 0
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())
    private let progress = Mutex(Progress())
    private let log: EventLog

    /// A projection over `log`; call `run()` to keep it current.
    public init(log: EventLog) { self.log = log }

    /// The state now.
    public var current: State { state.withLock { $0 } }

    /// The last seq folded in.
    public var seq: UInt64 { progress.withLock { $0.position } }

    /// Folds until cancelled. When it returns, every waiter is let go.
    public func run() async throws {
        progress.withLock { $0.folding = true }
        defer { release { _ in true } }
        // Every event, not only matching ones: the position must pass events the projection ignores, or a
        // `waitUntilFolded` for such an event would never return.
        let feed = log.subscribe(from: 1, filter: .all, bufferCapacity: 4096)
        defer { feed.cancel() }
        let filter = State.filter
        while let batch = try await feed.nextBatch() {
            state.withLock { state in
                for event in batch where filter.matches(event) { state.apply(event) }
            }
            let last = batch.last!.seq
            release { progress in
                progress.position = last
                return false
            }
        }
    }

    /// Waits until every event up to `seq` has been folded in (or skipped, when the filter does not match it).
    /// Returns early when the calling task is cancelled or the projection stops running (shutdown), so callers
    /// check `seq` or `Task.isCancelled` when they must know which.
    public func waitUntilFolded(_ seq: UInt64) async {
        let id = progress.withLock { progress -> UInt64? in
            if progress.position >= seq || !progress.folding { return nil }
            progress.nextWaiter += 1
            return progress.nextWaiter
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = progress.withLock { progress -> Bool in
                    if progress.position >= seq || !progress.folding || Task.isCancelled { return true }
                    progress.waiters.append(Waiter(id: id, seq: seq, continuation: continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = progress.withLock { progress -> Waiter? in
                guard let index = progress.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return progress.waiters.remove(at: index)
            }
            waiter?.continuation.resume()
        }
    }

    /// Updates the progress under its lock (`update` returns true when folding has ended), then resumes every
    /// waiter now due.
    private func release(_ update: (inout Progress) -> Bool) {
        let due = progress.withLock { progress -> [CheckedContinuation<Void, Never>] in
            if update(&progress) { progress.folding = false }
            let position = progress.position
            let folding = progress.folding
            let due = progress.waiters.filter { !folding || $0.seq <= position }.map(\.continuation)
            progress.waiters.removeAll { !folding || $0.seq <= position }
            return due
        }
        due.forEach { $0.resume() }
    }
}
