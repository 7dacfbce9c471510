import Foundation
import PartyBusCore
import PartyBusTestSupport
import Synchronization
import Testing

/// A plugin that blocks its thread (a synchronous sleep in its handler) holds up only itself: each plugin's calls
/// run on the plugin's own thread, never on the cooperative pool the others and the daemon share.
@Suite("Plugins that block their thread")
struct BlockingPluginTests {
    /// More blocking plugins than the cooperative pool has threads: on the pool they would hold every thread.
    static let crowd = ProcessInfo.processInfo.activeProcessorCount * 2 + 2

    @Test("plugins blocked in a synchronous sleep do not keep a healthy plugin from its events, nor the log from appending")
    func blockedPluginsStarveNobody() async throws {
        let dir = try TemporaryDirectory()
        let memory = MemoryLog()
        let log = try EventLog(path: dir.path("events.sqlite"))
        let finished = SharedCount()
        let blockers = (0..<Self.crowd).map { _ in ThreadBlockingPlugin(seconds: 4, finished: finished) }
        let witness = WitnessPlugin(finished: finished)
        var registrations = blockers.enumerated().map { index, blocker in
            PluginRegistration(name: "blocker\(index)", kind: .builtin, events: ["test.block"]) { _ in blocker }
        }
        registrations.append(PluginRegistration(name: "witness", kind: .builtin, events: ["test.ping"]) { _ in witness })
        var options = PluginHost.Options(dataRoot: dir.url, logger: memory.logger())
        options.handlerTimeout = .milliseconds(200)
        options.checkpointInterval = .milliseconds(20)
        let host = try PluginHost(log: log, registrations: registrations, options: options)
        let running = Task { await host.run() }
        #expect(await eventually { host.statuses().allSatisfy { $0.state == .running } })
        #expect(await host.waitUntilIdle())

        // Every blocker goes into its 4 s sleep; a second block event reaches them while they still sleep.
        _ = try await log.append(draft("test.block"))
        #expect(await eventually { blockers.allSatisfy { $0.calls.withLock { $0 } == 1 } })
        _ = try await log.append(draft("test.block"))
        var expected: [UInt64] = []
        for n in 0..<50 { expected.append(try await log.append(ping(n)).seq) }
        #expect(await eventually { witness.count == expected.count })
        let seen = witness.seen.withLock { $0 }
        #expect(seen.map(\.seq) == expected)
        #expect(seen.allSatisfy { $0.finishedBlocks == 0 }, "the witness had every event before any blocker woke up")

        // Each blocker's sleep became a timeout, and the event that came while it still slept was reported as not
        // delivered instead of queueing behind it.
        #expect(await eventually { finished.current == Self.crowd })
        let failures = try log.read(filter: EventFilter(types: ["plugin.failed"])).map { try $0.decode(PluginFailed.self) }
        for index in 0..<Self.crowd {
            let mine = failures.filter { $0.plugin == "blocker\(index)" }
            #expect(mine.count == 2)
            #expect(mine.first?.message.contains("no answer within") == true)
            #expect(mine.last?.message.contains("still blocked by an earlier call") == true)
        }
        #expect(blockers.allSatisfy { $0.calls.withLock { $0 } == 1 })
        running.cancel()
        await running.value
    }
}
