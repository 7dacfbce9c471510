import Foundation
import Logging
import Synchronization

/// Owns the simulator state and the queue of background jobs (timers, scripts) that `PSNSimulator.run()` drains
/// inside its own task group.
final class SimulatorCore: Sendable {
    typealias Job = @Sendable () async -> Void

    let state: Mutex<CoreState>
    let logger: Logger
    /// Installed media, if any (see `SimulatorMediaHooks`).
    let mediaHooks: (any SimulatorMediaHooks)?
    /// The ordered event path to `mediaHooks` (nil without hooks).
    let mediaQueue: MediaEventQueue?
    private let jobs: AsyncStream<Job>
    private let jobsContinuation: AsyncStream<Job>.Continuation

    init(configuration: SimulatorConfiguration, logger: Logger, mediaHooks: (any SimulatorMediaHooks)? = nil) {
        var initial = CoreState(configuration: configuration)
        let queue = mediaHooks.map { _ in MediaEventQueue() }
        initial.mediaEvents = queue?.continuation
        self.state = Mutex(initial)
        self.logger = logger
        self.mediaHooks = mediaHooks
        self.mediaQueue = queue
        (self.jobs, self.jobsContinuation) = AsyncStream.makeStream(of: Job.self)
    }

    /// Runs `body` with exclusive access to the state.
    func withState<R: Sendable, E: Error>(_ body: (inout CoreState) throws(E) -> R) throws(E) -> R {
        try state.withLock { (value: inout CoreState) throws(E) -> R in try body(&value) }
    }

    /// Queues a background job; it runs as a child task of `PSNSimulator.run()`.
    func schedule(_ job: @escaping Job) {
        jobsContinuation.yield(job)
    }

    /// Drains the job queue until cancelled.
    func runJobs() async {
        await withDiscardingTaskGroup { group in
            for await job in jobs {
                group.addTask { await job() }
            }
        }
    }

    /// Arms the push-loss timer of E.9 (`dropMembershipOnPushLoss`).
    func armPushLossTimer(accountId: String, generation: Int) {
        let grace = withState { $0.faults.pushLossGraceSeconds }
        schedule { [self] in
            try? await Task.sleep(for: .milliseconds(Int64(max(0, grace) * 1000)))
            guard !Task.isCancelled else { return }
            self.withState { $0.pushLossExpired(accountId: accountId, generation: generation) }
        }
    }
}
