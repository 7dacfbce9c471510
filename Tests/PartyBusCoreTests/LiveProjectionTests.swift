import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

@Suite("Live projections", .timeLimit(.minutes(1)))
struct LiveProjectionTests {
    /// A log in `dir` with one event, and a projection over it that is running and has folded that event.
    func runningProjection(in dir: TemporaryDirectory) async throws
        -> (EventLog, LiveProjection<StreamSummaryProjection>, Task<Void, any Error>)
    {
        let log = try EventLog(path: dir.path("events.sqlite"))
        let projection = LiveProjection<StreamSummaryProjection>(log: log)
        let runner = Task { try await projection.run() }
        try await appendDemo(log, count: 1)
        await projection.waitUntilFolded(1)
        return (log, projection, runner)
    }

    func appendDemo(_ log: EventLog, count: Int) async throws {
        for index in 0..<count {
            try await log.append(
                EventDraft(stream: "demo", type: "demo.tick", payloadJSON: Data("{\"n\":\(index)}".utf8)))
        }
    }

    @Test("waitUntilFolded returns once the projection has passed the seq")
    func waitsForFolding() async throws {
        let dir = try TemporaryDirectory()
        let (log, projection, runner) = try await runningProjection(in: dir)
        try await appendDemo(log, count: 2)
        await projection.waitUntilFolded(3)
        #expect(projection.seq >= 3)
        #expect(projection.current.streams["demo"]?.count == 3)
        runner.cancel()
        _ = await runner.result
    }

    @Test("a waiter is let go when its task is cancelled, and when the projection stops running")
    func waitersNeverOutliveShutdown() async throws {
        let dir = try TemporaryDirectory()
        let (_, projection, runner) = try await runningProjection(in: dir)

        // Cancelled: returns although seq 100 is never folded.
        let cancelled = Task { await projection.waitUntilFolded(100) }
        try await Task.sleep(for: .milliseconds(50))
        cancelled.cancel()
        await cancelled.value
        #expect(projection.seq < 100)

        // The projection stops (shutdown): every waiter returns, and later calls do not wait either.
        let waiting = Task { await projection.waitUntilFolded(200) }
        try await Task.sleep(for: .milliseconds(50))
        runner.cancel()
        _ = await runner.result
        await waiting.value
        await projection.waitUntilFolded(300)
        #expect(projection.seq < 200)
    }
}
