import Foundation
import PartyBusCore
import PartyBusTestSupport
import Synchronization
import Testing

@Suite("Plugin host isolation")
struct PluginIsolationTests {
    func options(_ dir: TemporaryDirectory, log: MemoryLog) -> PluginHost.Options {
        var options = PluginHost.Options(dataRoot: dir.url, logger: log.logger())
        options.handlerTimeout = .milliseconds(200)
        options.queueCapacity = 8
        options.checkpointInterval = .milliseconds(20)
        return options
    }

    @Test("a throwing, a hanging and a slow plugin never hold up a healthy one")
    func isolation() async throws {
        let dir = try TemporaryDirectory()
        let memory = MemoryLog()
        let log = try EventLog(path: dir.path("events.sqlite"))
        let healthy = RecordingPlugin()
        let throwing = ThrowingPlugin(every: 50)
        let hanging = HangingPlugin()
        let slow = SlowPlugin(delay: .milliseconds(15))
        let host = try PluginHost(
            log: log,
            registrations: [
                PluginRegistration(name: "healthy", kind: .builtin, events: ["test.*"]) { _ in healthy },
                PluginRegistration(name: "throwing", kind: .builtin, events: ["test.ping"]) { _ in throwing },
                PluginRegistration(name: "hanging", kind: .builtin, events: ["test.hang"]) { _ in hanging },
                PluginRegistration(name: "slow", kind: .builtin, events: ["test.ping"]) { _ in slow },
            ], options: options(dir, log: memory))
        let running = Task { await host.run() }
        #expect(await eventually { host.statuses().allSatisfy { $0.state == .running } })
        // Every plugin has read the log up to the head, so the burst below reaches them live.
        #expect(await host.waitUntilIdle())
        var expected: [UInt64] = []
        for n in 0..<200 {
            expected.append(try await log.append(ping(n)).seq)
            if n % 70 == 0 { expected.append(try await log.append(draft("test.hang")).seq) }
        }
        #expect(await eventually { healthy.count == expected.count })
        // The healthy plugin has everything, in order, while the slow one is still far behind.
        #expect(healthy.seen.withLock { $0 } == expected)
        #expect(slow.count < 200)
        // The failures became events, and the bus went on.
        #expect(await eventually { throwing.calls.withLock { $0 } == 200 })
        #expect(await eventually { hanging.calls.withLock { $0 } == 3 })
        #expect(await eventually { slow.count == 200 })
        let failures = try log.read(filter: EventFilter(types: ["plugin.failed"])).map { try $0.decode(PluginFailed.self) }
        #expect(failures.filter { $0.plugin == "throwing" && $0.reason == "threw" }.count == 4)
        #expect(failures.filter { $0.plugin == "hanging" && $0.reason == "timeout" }.count == 3)
        #expect(failures.first { $0.plugin == "throwing" }?.message.contains("boom on #") == true)
        #expect(slow.seen.withLock { $0 } == expected.filter { seq in (try? log.event(at: seq)?.type) == "test.ping" })
        let slowStatus = host.statuses().first { $0.name == "slow" }
        #expect((slowStatus?.overflows ?? 0) >= 1)
        #expect(try log.read(filter: EventFilter(types: ["plugin.lagging"])).isEmpty == false)
        running.cancel()
        await running.value
    }

    @Test("after a restart a plugin catches up from its checkpoint, with no duplicate")
    func restartCatchesUp() async throws {
        let dir = try TemporaryDirectory()
        let memory = MemoryLog()
        let log = try EventLog(path: dir.path("events.sqlite"))
        let first = RecordingPlugin()
        let host1 = try PluginHost(
            log: log, registrations: [PluginRegistration(name: "rec", kind: .builtin, events: ["test.*"]) { _ in first }],
            options: options(dir, log: memory))
        let run1 = Task { await host1.run() }
        #expect(await eventually { host1.statuses().first?.state == .running })
        for n in 0..<10 { try await log.append(ping(n)) }
        #expect(await eventually { first.count == 10 })
        run1.cancel()
        await run1.value
        #expect(try log.checkpoint(for: "rec") == first.seen.withLock { $0.last })
        // Events appended while the plugin is down are delivered when it comes back.
        var missed: [UInt64] = []
        for n in 10..<25 { missed.append(try await log.append(ping(n)).seq) }
        let second = RecordingPlugin()
        let host2 = try PluginHost(
            log: log, registrations: [PluginRegistration(name: "rec", kind: .builtin, events: ["test.*"]) { _ in second }],
            options: options(dir, log: memory))
        let run2 = Task { await host2.run() }
        #expect(await eventually { second.count == 15 })
        #expect(second.seen.withLock { $0 } == missed)
        run2.cancel()
        await run2.value
        let stopped = try log.read(filter: EventFilter(types: ["plugin.stopped"]))
        #expect(stopped.count == 2)
    }

    @Test("a plugin that fails to start is reported and the others run")
    func startFailure() async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"))
        let healthy = RecordingPlugin()
        let host = try PluginHost(
            log: log,
            registrations: [
                PluginRegistration(name: "broken", kind: .builtin, events: ["*"]) { _ in
                    throw PluginError("missing option 'url'")
                },
                PluginRegistration(name: "healthy", kind: .builtin, events: ["test.*"]) { _ in healthy },
            ], options: options(dir, log: MemoryLog()))
        let running = Task { await host.run() }
        #expect(await eventually { host.statuses().first { $0.name == "healthy" }?.state == .running })
        try await log.append(ping(1))
        #expect(await eventually { healthy.count == 1 })
        let failed = try log.read(filter: EventFilter(types: ["plugin.failed"])).map { try $0.decode(PluginFailed.self) }
        #expect(failed == [PluginFailed(plugin: "broken", reason: "start", message: "missing option 'url'")])
        #expect(host.statuses().first { $0.name == "broken" }?.state == .failed)
        running.cancel()
        await running.value
    }

    @Test("in a replay, publishes and side effects are recorded and correlated")
    func replayRecording() async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"))
        let recorder = ReplayRecorder()
        var opts = options(dir, log: MemoryLog())
        opts.recorder = recorder
        opts.source = .replay
        let host = try PluginHost(
            log: log,
            registrations: [PluginRegistration(name: "echo", kind: .builtin, events: ["test.ping"]) { EchoPlugin(context: $0) }],
            options: opts)
        let running = Task { await host.run() }
        #expect(await eventually { host.statuses().first?.state == .running })
        let trigger = try await log.append(ping(1))
        #expect(await host.waitUntilIdle())
        let pong = try log.read(filter: EventFilter(types: ["test.pong"]))
        #expect(pong.count == 1)
        #expect(pong.first?.correlation == "seq:\(trigger.seq)")
        #expect(pong.first?.source == .replay)
        // A published reaction carries its payload (the replay report prints it).
        #expect(recorder.all.contains(ReplayRecorder.Activity(
            plugin: "echo", triggerSeq: trigger.seq, kind: .published, detail: "test.pong", payload: pong.first?.payloadText)))
        #expect(recorder.all.contains(ReplayRecorder.Activity(plugin: "echo", triggerSeq: trigger.seq, kind: .sideEffect, detail: "ring the bell for #\(trigger.seq)")))
        running.cancel()
        await running.value
    }
}
