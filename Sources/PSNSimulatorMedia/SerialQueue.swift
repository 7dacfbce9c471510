/// Runs async jobs one after another in the order they were queued (an actor's methods interleave at every
/// `await`; media steps of one peer must not: an offer, its answer and the peer's removal happen in order).
final class SerialQueue: Sendable {
    typealias Job = @Sendable () async -> Void
    private let continuation: AsyncStream<Job>.Continuation

    init() {
        let (jobs, continuation) = AsyncStream.makeStream(of: Job.self)
        self.continuation = continuation
        Task {
            for await job in jobs { await job() }
        }
    }

    deinit { continuation.finish() }

    /// Queues `job` and returns at once.
    func enqueue(_ job: @escaping Job) {
        continuation.yield(job)
    }

    /// Queues `job` and waits for its result.
    func run<T: Sendable>(_ job: @escaping @Sendable () async -> T) async -> T {
        await withCheckedContinuation { (result: CheckedContinuation<T, Never>) in
            let queued = continuation.yield { result.resume(returning: await job()) }
            if case .terminated = queued { Task { result.resume(returning: await job()) } }
        }
    }
}
