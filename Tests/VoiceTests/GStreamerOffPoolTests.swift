import Foundation
import PartyBusTestSupport
import Synchronization
import Testing
import Voice

/// Blocking GStreamer calls (state changes, a pipeline's release) never hold one of Swift concurrency's cooperative
/// threads: a task on the pool keeps running while many pipelines stop at once.
@Suite("GStreamer calls off the cooperative pool", .serialized)
struct GStreamerOffPoolTests {
    /// More concurrent stops than the pool has threads, so blocking ones would hold every thread.
    static let crowd = ProcessInfo.processInfo.activeProcessorCount * 2 + 2

    /// A live tone through an element that holds each buffer for 1 s: stopping waits for that buffer (the streaming
    /// thread holds the stream lock), so each stop blocks for up to a second.
    static let slowToStop = "audiotestsrc is-live=true samplesperbuffer=441 ! identity sleep-time=1000000 ! fakesink sync=false"

    /// Runs `count` jobs at once on the pool, then one more task that only records a tick. True when the tick came
    /// before any job returned: the jobs left the pool free while they waited.
    static func tickBeforeFirstDone(count: Int, job: @escaping @Sendable (Int) async -> Void) async -> Bool {
        let order = Arrivals()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                group.addTask {
                    await job(index)
                    order.append("done")
                }
            }
            group.addTask { order.append("tick") }
        }
        return order.first == "tick"
    }

    @Test("the check can fail: jobs that block their pool thread keep the ticker waiting until one returns")
    func blockingJobsStarveTheTicker() async {
        let ticked = await Self.tickBeforeFirstDone(count: Self.crowd) { _ in usleep(500_000) }
        #expect(!ticked, "a job blocking its thread held the pool (\(Self.crowd) jobs)")
    }

    @Test("many pipelines starting and stopping at once leave the pool free")
    func concurrentStartStop() async throws {
        let pipelines = try (0..<Self.crowd).map { _ in try GraphPipeline(description: Self.slowToStop) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for pipeline in pipelines { group.addTask { try await pipeline.start() } }
            try await group.waitForAll()
        }
        // Let each streaming thread get into identity's sleep, so every stop has to wait for it.
        try await Task.sleep(for: .milliseconds(300))
        let ticked = await Self.tickBeforeFirstDone(count: pipelines.count) { index in
            await pipelines[index].stop()
        }
        #expect(ticked, "the ticker ran while \(pipelines.count) pipelines were stopping")
    }

    @Test("a pipeline released while playing is stopped and freed on the teardown queue, not by the releasing task")
    func releaseInDeinit() async throws {
        let before = GStreamerThreads.teardowns
        for _ in 0..<Self.crowd {
            let pipeline = try GraphPipeline(description: Self.slowToStop)
            try await pipeline.start()
            // The last reference goes at the end of this iteration, with the streaming thread in its 1 s sleep.
        }
        // Each release is handed over when its deinit runs (the last reference may be a dispatch block of `start`
        // that is freed a moment after it resumed us); stopping blocks, so the queue may still be at work.
        #expect(await eventually { GStreamerThreads.teardowns.queued >= before.queued + Self.crowd })
        await GStreamerThreads.drainTeardowns()
        #expect(GStreamerThreads.teardowns.done >= before.done + Self.crowd)
    }
}

/// What happened, in the order it happened.
private final class Arrivals: Sendable {
    private let names = Mutex<[String]>([])
    func append(_ name: String) { names.withLock { $0.append(name) } }
    var first: String? { names.withLock { $0.first } }
}
