import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

@Suite("Command line", .serialized)
struct CommandLineTests {
    let config = PartybusProcess.packageRoot.appendingPathComponent("config/partybus.yaml").path

    @Test("config check: ok for the shipped file, file:line:col for a broken one")
    func configCheck() throws {
        let ok = try PartybusProcess.run(["config", "check", config])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("config/partybus.yaml: ok"))

        let dir = try TemporaryDirectory()
        let broken = dir.path("broken.yaml")
        try "engine:\n  queue_capacity: many\n  colour: red\nplugins: [\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let syntax = try PartybusProcess.run(["config", "check", broken])
        #expect(syntax.status == 1)
        #expect(syntax.stdout.contains("\(broken):5:1: YAML syntax"))

        try "engine:\n  queue_capacity: many\n  colour: red\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let typed = try PartybusProcess.run(["config", "check", broken])
        #expect(typed.status == 1)
        #expect(typed.stdout.contains("\(broken):2:19: engine.queue_capacity: expected an integer, found 'many'"))
        #expect(typed.stdout.contains("\(broken):3:3: unknown key 'colour' in engine"))
        // A command that needs the config refuses to start, with the same messages, and does not crash.
        let up = try PartybusProcess.run(["plugins", "list", "--config", broken])
        #expect(up.status == 2)
        #expect(up.stderr.contains("\(broken):2:19"))
    }

    @Test("up refuses a voice.graph found neither beside the config nor in the working directory, naming the key and both places")
    func voiceGraphResolution() throws {
        let dir = try TemporaryDirectory()
        let file = dir.path("partybus.yaml")
        try "voice:\n  graph: graphs/mine.yaml\n".write(toFile: file, atomically: true, encoding: .utf8)
        let up = try PartybusProcess.run(["up", "--config", file, "--data-dir", dir.path("data")])
        #expect(up.status == 2, "\(up.stdout) \(up.stderr)")
        let cwd = PartybusProcess.packageRoot.appendingPathComponent("graphs/mine.yaml").path
        #expect(up.stderr.contains("voice.graph: 'graphs/mine.yaml' not found (looked at \(dir.path("graphs/mine.yaml")) and \(cwd))"), "\(up.stderr)")
    }

    @Test("demo, then events tail/show/export/stats, plugins list and replay over the recorded log")
    func demoAndInspect() throws {
        let dir = try TemporaryDirectory()
        let data = dir.path("data")
        let demo = try PartybusProcess.run(["demo", "--pace", "5", "--with-example", "--config", config, "--data-dir", data])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("demo.member_joined"))
        #expect(demo.stdout.contains("hook.greeted"), "the exec hook published its greeting")
        #expect(demo.stdout.contains("example.counted"), "the .so plugin ran")
        #expect(demo.stdout.contains("replayed 9 events"))
        // The replay report shows what was published with its payload, and the projections at the end.
        #expect(demo.stdout.contains("published example.counted {\"count\":1,"), "\(demo.stdout.suffix(1500))")
        #expect(demo.stdout.contains("\"parties\""))
        // Without --with-example the demo runs exactly the configured plugins.
        let plain = try PartybusProcess.run(["demo", "--pace", "5", "--config", config, "--data-dir", dir.path("plain")])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("plugins: party-log\n"), "\(plain.stdout.prefix(400))")
        #expect(!plain.stdout.contains("example.counted"))

        let common = ["--config", config, "--data-dir", data]
        let stats = try PartybusProcess.run(["events", "stats", "--json"] + common)
        #expect(stats.status == 0)
        let decoded = try JSONDecoder().decode(EventLogStats.self, from: Data(stats.stdout.utf8))
        #expect(decoded.byType.first { $0.name == "demo.member_joined" }?.count == 3)
        #expect(decoded.checkpoints["party-log"] != nil)

        let tail = try PartybusProcess.run(["events", "tail", "-n", "3", "--type", "demo.*"] + common)
        let lines = tail.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.last?.contains("demo.party_deleted") == true)

        let export = try PartybusProcess.run(["events", "export", "--jsonl", "--from", "2", "--to", "6"] + common)
        let exported = try export.stdout.split(separator: "\n").enumerated().map {
            try EventJSON.event(fromLine: Data($0.element.utf8), lineNumber: $0.offset + 1)
        }
        #expect(exported.map(\.seq) == [2, 3, 4, 5, 6])
        #expect(export.stderr.contains("exported 5 events"))

        let show = try PartybusProcess.run(["events", "show", "3"] + common)
        #expect(show.status == 0)
        #expect(show.stdout.contains("seq:         3"))
        let missing = try PartybusProcess.run(["events", "show", "99999"] + common)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no event #99999"))

        let plugins = try PartybusProcess.run(["plugins", "list"] + common)
        #expect(plugins.stdout.contains("party-log"))
        #expect(plugins.stdout.contains("stopped"))

        let replay = try PartybusProcess.run(
            ["replay", data + "/sim/events.sqlite", "--plugins", "party-log", "--quiet"] + common)
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        #expect(replay.stdout.contains("would send demo.member_joined to scripts/hooks/party-log.sh"))

        // The demo's access token is a Secret: it never reaches the database or any output.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: data + "/sim/events.sqlite"))
        bytes.append((try? Data(contentsOf: URL(fileURLWithPath: data + "/sim/events.sqlite-wal"))) ?? Data())
        #expect(bytes.range(of: Data("demo-token-never-written".utf8)) == nil)
        #expect(!demo.stdout.contains("demo-token-never-written") && !demo.stderr.contains("demo-token-never-written"))
    }

    @Test("replay reports a divergence when a plugin now reacts differently")
    func replayDivergence() throws {
        let dir = try TemporaryDirectory()
        let data = dir.path("data")
        let library = buildProductsDirectory.appendingPathComponent("libPartyBusExamplePlugin.so").path
        func configFile(every: Int) throws -> String {
            let path = dir.path("every-\(every).yaml")
            try """
                plugins:
                  counter:
                    library: \(library)
                    events: ["demo.*"]
                    options: { every: \(every) }
                """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let recordedWith = try configFile(every: 1)
        #expect(try PartybusProcess.run(["demo", "--pace", "1", "--config", recordedWith, "--data-dir", data]).status == 0)
        let same = try PartybusProcess.run(["replay", data + "/sim/events.sqlite", "--quiet", "--config", recordedWith])
        #expect(same.status == 0)
        #expect(same.stdout.contains("no divergence"))
        let changed = try PartybusProcess.run(
            ["replay", data + "/sim/events.sqlite", "--quiet", "--config", try configFile(every: 2)])
        #expect(changed.status == 3)
        #expect(changed.stdout.contains("counter: recorded 9 × example.counted, replay produced 2"))
    }

    @Test("up runs until SIGTERM and shuts down cleanly")
    func upAndTerminate() async throws {
        let dir = try TemporaryDirectory()
        let data = dir.path("data")
        let process = Process()
        process.executableURL = PartybusProcess.executable
        process.arguments = ["up", "--config", config, "--data-dir", data, "--no-scene"]
        process.currentDirectoryURL = PartybusProcess.packageRoot
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let collector = Collector(out.fileHandleForReading)
        #expect(await eventually { collector.text.contains("plugin.started") })
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        _ = collector.finish()
        // With no PSN credentials configured, up runs against the built-in simulator and keeps its data in sim/.
        let log = try EventLog(path: data + "/sim/events.sqlite")
        #expect(try log.integrityCheck() == ["ok"])
        let last = try log.readLast(2).map(\.type)
        #expect(last == ["plugin.stopped", "engine.stopped"])
    }
}
