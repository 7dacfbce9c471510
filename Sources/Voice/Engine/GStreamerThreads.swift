import Dispatch
import Synchronization

/// Where blocking GStreamer calls run: state changes (`set_state`, `sync_state_with_parent`), end-of-stream waits
/// and the release of a pipeline or bin never run on Swift concurrency's cooperative threads (a state change can
/// wait for streaming threads for as long as an element takes, and two of them would starve a 2-core pool).
/// Async callers await `run`/`runQuietly`; a `deinit`, which cannot await, hands its teardown to `release`, one
/// dedicated serial queue.
public enum GStreamerThreads {
    /// The serial queue every teardown from a `deinit` runs on, one after the other.
    static let teardownQueue = DispatchQueue(label: "partybus.gstreamer.teardown")
    private static let teardownKey = DispatchSpecificKey<Bool>()
    private static let queued = Atomic<Int>(0)
    private static let released = Atomic<Int>(0)
    private static let setUp: Void = teardownQueue.setSpecific(key: teardownKey, value: true)

    /// Runs blocking work on `queue` (a peer's own serial queue, or any dispatch thread) and returns its result.
    public static func run<T: Sendable>(on queue: DispatchQueue = .global(),
                                        _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs blocking work on `queue` and waits until it is done.
    public static func runQuietly(on queue: DispatchQueue = .global(), _ work: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { continuation in
            queue.async { work(); continuation.resume() }
        }
    }

    /// Runs blocking work on a dispatch thread and waits for it at most `limit` (the work goes on regardless).
    public static func runQuietly(atMost limit: Duration, _ work: @escaping @Sendable () -> Void) async {
        let resumed = Mutex(false)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            @Sendable func resumeOnce() {
                if resumed.withLock({ done in defer { done = true }; return !done }) { continuation.resume() }
            }
            DispatchQueue.global().async { work(); resumeOnce() }
            let (seconds, attoseconds) = limit.components
            let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { resumeOnce() }
        }
    }

    /// Hands a teardown (stop to NULL, drop the last reference) to the teardown queue and returns at once: for a
    /// `deinit`, which may run on any thread, a cooperative one included.
    static func release(_ work: @escaping @Sendable () -> Void) {
        _ = setUp
        queued.add(1, ordering: .relaxed)
        teardownQueue.async {
            work()
            released.add(1, ordering: .relaxed)
        }
    }

    /// True on the teardown queue.
    static var onTeardownQueue: Bool { _ = setUp; return DispatchQueue.getSpecific(key: teardownKey) == true }

    /// Teardowns handed over and done so far (for tests and benches).
    public static var teardowns: (queued: Int, done: Int) {
        (queued.load(ordering: .relaxed), released.load(ordering: .relaxed))
    }

    /// Waits (off the pool) until every teardown handed over so far is done.
    public static func drainTeardowns() async {
        await runQuietly(on: teardownQueue) {}
    }
}
