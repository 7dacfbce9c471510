import ExecHooks
import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

@Suite("Exec hooks")
struct ExecHookTests {
    func script(_ body: String, in dir: TemporaryDirectory, name: String = "hook.sh") throws -> String {
        let path = dir.path(name)
        try ("#!/bin/sh\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    func host(
        _ log: EventLog, _ dir: TemporaryDirectory, name: String, command: [String], events: [String]
    ) throws -> PluginHost {
        var options = PluginHost.Options(dataRoot: dir.url, logger: MemoryLog().logger())
        options.handlerTimeout = .seconds(2)
        options.checkpointInterval = .milliseconds(20)
        let hookOptions = PluginOptions(
            .object([
                "command": .array(command.map { .string($0) }), "restart_min_ms": .int(50),
                "restart_max_ms": .int(400),
            ]))
        return try PluginHost(
            log: log,
            registrations: [.loadable(ExecHookPlugin.self, name: name, kind: .exec, events: events, options: hookOptions)],
            options: options)
    }

    @Test("a hook gets its events as JSON lines and can publish drafts back")
    func roundTrip() async throws {
        let dir = try TemporaryDirectory()
        let received = dir.path("received.jsonl")
        let hook = try script(
            """
            while IFS= read -r line; do
              printf '%s\\n' "$line" >> "\(received)"
              echo '{"type":"hook.seen","payload":{"ok":true}}'
              echo 'plain words'
            done
            """, in: dir)
        let log = try EventLog(path: dir.path("events.sqlite"))
        let host = try host(log, dir, name: "echoer", command: [hook], events: ["test.*"])
        let running = Task { await host.run() }
        #expect(await eventually { host.statuses().first?.state == .running })
        // One at a time, so each draft is printed before the next event is sent: its correlation is exact.
        let first = try await log.append(ping(1))
        #expect(try await eventually { try log.read(filter: EventFilter(types: ["hook.output"])).count == 1 })
        let second = try await log.append(ping(2))
        let sent = [first, second]
        #expect(try await eventually { try log.read(filter: EventFilter(types: ["hook.output"])).count == 2 })
        let lines = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n")
        #expect(lines.map { String($0) } == sent.map { String(decoding: EventJSON.line(for: $0), as: UTF8.self) })
        let seen = try log.read(filter: EventFilter(types: ["hook.seen"]))
        #expect(seen.count == 2)
        #expect(seen.allSatisfy { $0.stream == "plugin/echoer" && $0.payloadText == #"{"ok":true}"# })
        // Drafts that name no correlation are tied to the event the hook was handling (docs/plugins.md).
        #expect(seen.map(\.correlation) == sent.map { "seq:\($0.seq)" })
        running.cancel()
        await running.value
    }

    @Test("a hook printing 5000 drafts at once (more than the 256 that may wait) gets every one published, in order")
    func burstOfDrafts() async throws {
        let dir = try TemporaryDirectory()
        // 5000 drafts (far more than the 256 that may wait), then it waits for events like any hook.
        let hook = try script(
            """
            i=0
            while [ $i -lt 5000 ]; do
              i=$((i + 1))
              echo '{"type":"hook.burst","payload":{"i":'$i'}}'
            done
            while IFS= read -r line; do :; done
            """, in: dir)
        let log = try EventLog(path: dir.path("events.sqlite"))
        let host = try host(log, dir, name: "chatty", command: [hook], events: ["test.*"])
        let running = Task { await host.run() }
        #expect(await eventually { host.statuses().first?.state == .running })
        try await log.append(ping(1))
        #expect(try await eventually(timeout: .seconds(60)) {
            try log.read(filter: EventFilter(types: ["hook.burst"]), limit: 10_000).count == 5000
        })
        let numbers = try log.read(filter: EventFilter(types: ["hook.burst"]), limit: 10_000).map { event in
            try #require(try JSONSerialization.jsonObject(with: event.payload) as? [String: Int])["i"] ?? 0
        }
        #expect(numbers.count == 5000 && numbers == Array(1...5000), "in order, none lost, none twice")
        running.cancel()
        await running.value
    }

    @Test("a hook that exits at once is reported, restarted with backoff, and the engine goes on")
    func exitsAtOnce() async throws {
        let dir = try TemporaryDirectory()
        let hook = try script("echo 'cannot find my config' >&2\nexit 3\n", in: dir)
        let log = try EventLog(path: dir.path("events.sqlite"))
        let host = try host(log, dir, name: "quitter", command: [hook], events: ["test.*"])
        let running = Task { await host.run() }
        #expect(try await eventually {
            try log.read(filter: EventFilter(types: ["plugin.failed"])).count >= 3
        })
        let failures = try log.read(filter: EventFilter(types: ["plugin.failed"])).map { try $0.decode(PluginFailed.self) }
        #expect(failures.allSatisfy { $0.plugin == "quitter" && $0.reason == "exited" })
        #expect(failures[0].message.contains("exited with status 3"))
        #expect(failures[0].message.contains("cannot find my config"))
        #expect(failures[0].message.contains("restarting in 50"))
        #expect(failures[1].message.contains("restarting in 100"))
        // The log still takes appends.
        #expect(try await log.append(ping(1)).seq > 0)
        running.cancel()
        await running.value
    }

    @Test("a hook whose program does not exist fails to start with a clear message")
    func missingProgram() async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"))
        let host = try host(log, dir, name: "ghost", command: [dir.path("no-such-hook")], events: ["*"])
        let running = Task { await host.run() }
        #expect(await eventually { host.statuses().first?.state == .failed })
        #expect(host.statuses().first?.lastError?.contains("not found or not executable") == true)
        running.cancel()
        await running.value
    }

    @Test("the engine's PARTYBUS_ variables are not passed to hooks")
    func environmentIsScrubbed() async throws {
        setenv("PARTYBUS_PSN_CLIENT_SECRET", "top-secret-value", 1)
        defer { unsetenv("PARTYBUS_PSN_CLIENT_SECRET") }
        let dir = try TemporaryDirectory()
        let out = dir.path("env.txt")
        let hook = try script("env > \"\(out)\"\nwhile read -r line; do :; done\n", in: dir)
        let log = try EventLog(path: dir.path("events.sqlite"))
        let host = try host(log, dir, name: "env", command: [hook], events: ["*"])
        let running = Task { await host.run() }
        #expect(await eventually { (try? String(contentsOfFile: out, encoding: .utf8))?.contains("PARTYBUS_PLUGIN=env") == true })
        let environment = try String(contentsOfFile: out, encoding: .utf8)
        #expect(!environment.contains("top-secret-value"))
        running.cancel()
        await running.value
    }
}
