import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

/// The plugin SDK as a newcomer uses it: `partybus plugins new` for each kind, the generated plugin's own test, and
/// `partybus plugins test` feeding recorded events — every step a separate process. The `library` kind is built for
/// real (`swift build` + `swift test` of the generated package against `Plugins/PluginSDK/`); `exec` runs its own test
/// script; `builtin` is checked structurally (its Swift source is the library's without the entry symbol).
@Suite("PluginSDK", .serialized)
struct PluginSDKTests {
    @Test("plugins new --kind exec: the hook's own test.sh passes through plugins test; bad event files name the line")
    func execKind() throws {
        let dir = try TemporaryDirectory()
        let made = try PartybusProcess.run(["plugins", "new", "hello", "--kind", "exec", "--dir", dir.path(".")])
        #expect(made.status == 0, "\(made.stderr)")
        let hook = try String(contentsOfFile: dir.path("hello/hello.py"), encoding: .utf8)
        #expect(hook.contains("flush=True") && hook.contains("[\"member\"]"))
        // Writing again refuses to overwrite.
        #expect(try PartybusProcess.run(["plugins", "new", "hello", "--kind", "exec", "--dir", dir.path(".")]).status == 2)

        let test = try ChildProgram(dir.path("hello/test.sh"), [], directory: dir.url,
                                    environment: ["PARTYBUS": PartybusProcess.executable.path])
        let status = test.wait()
        let output = test.stdout.finish()
        #expect(status == 0, "\(output) \(test.stderr.finish())")
        #expect(output.contains("line 2: #2 party.member_joined\n  published hello.greeted {\"onlineId\":\"sim-alice\",\"text\":\"hi, sim-alice\"}"), "\(output)")
        #expect(output.contains("ok: hello greeted sim-alice"))

        try "{\"seq\":1,\"type\":\"x\"}\nnot json\n".write(toFile: dir.path("bad.jsonl"), atomically: true, encoding: .utf8)
        let bad = try PartybusProcess.run(
            ["plugins", "test", "hello", "--config", dir.path("hello/partybus.yaml"), "--events", dir.path("bad.jsonl")])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("bad.jsonl:1:") && bad.stderr.contains("\"at\""), "\(bad.stderr)")
        let unknown = try PartybusProcess.run(
            ["plugins", "test", "nope", "--config", dir.path("hello/partybus.yaml"), "--events", dir.path("hello/events.jsonl")])
        #expect(unknown.status == 2 && unknown.stderr.contains("no plugin 'nope'") && unknown.stderr.contains("hello"))
    }

    @Test("plugins test runs a built-in (webhook): side effects recorded, not performed; the ntfy example hook in dry run")
    func pluginsTestBuiltinAndExample() throws {
        let dir = try TemporaryDirectory()
        let events = PartybusProcess.packageRoot.appendingPathComponent("scripts/examples/friend-joined.jsonl").path
        try """
            plugins:
              hook:
                builtin: webhook
                events: ["party.*"]
                options: { url: "http://127.0.0.1:9/hook", secret: "never-printed-secret" }
              friend-joined:
                exec: ["scripts/hooks/ntfy-friend-joined.py"]
                events: ["party.*"]
                options:
                  env: { NTFY_URL: "http://127.0.0.1:9/topic", FRIENDS: "sim-alice" }
            """.write(toFile: dir.path("partybus.yaml"), atomically: true, encoding: .utf8)
        let webhook = try PartybusProcess.run(["plugins", "test", "hook", "--config", dir.path("partybus.yaml"), "--events", events])
        #expect(webhook.status == 0, "\(webhook.stdout) \(webhook.stderr)")
        #expect(webhook.stdout.contains("side effect: POST http://127.0.0.1:9/hook party.member_joined #3"), "\(webhook.stdout)")
        #expect(webhook.stdout.contains("side effects recorded, not performed"))
        #expect(!webhook.stdout.contains("never-printed-secret") && !webhook.stderr.contains("never-printed-secret"))

        let ntfy = try PartybusProcess.run(["plugins", "test", "friend-joined", "--config", dir.path("partybus.yaml"), "--events", events, "--json"])
        #expect(ntfy.status == 0, "\(ntfy.stdout) \(ntfy.stderr)")
        let lines = ntfy.stdout.split(separator: "\n").compactMap { try? JSONDecoder().decode([String: JSONValue].self, from: Data($0.utf8)) }
        let sent = lines.filter { $0["detail"]?.stringValue == "notify.sent" }
        #expect(sent.count == 1, "only the friend: \(ntfy.stdout)")
        #expect(sent.first?["eventType"]?.stringValue == "party.member_joined" && sent.first?["line"]?.intValue == 4)
        #expect(sent.first?["payload"]?["dryRun"] == .bool(true))
        #expect(ntfy.stderr.contains("would POST 'sim-alice joined Friday night'"), "\(ntfy.stderr)")
    }

    @Test("plugins new --kind builtin writes the target and its test into a checkout (checked structurally)")
    func builtinKind() throws {
        let dir = try TemporaryDirectory()
        #expect(try PartybusProcess.run(["plugins", "new", "door-bell", "--kind", "builtin", "--dir", dir.path(".")]).status == 2)
        try "let package = Package(\n    name: \"PartyBus\",\n)\n".write(toFile: dir.path("Package.swift"), atomically: true, encoding: .utf8)
        let made = try PartybusProcess.run(["plugins", "new", "door-bell", "--kind", "builtin", "--dir", dir.path(".")])
        #expect(made.status == 0, "\(made.stderr)")
        let source = try String(contentsOfFile: dir.path("Plugins/DoorBell/DoorBell.swift"), encoding: .utf8)
        #expect(source.contains("public actor DoorBell: LoadablePlugin") && source.contains("static let name = \"door-bell\""))
        #expect(!source.contains("partybus_plugin_entry"))
        let test = try String(contentsOfFile: dir.path("Tests/DoorBellTests/DoorBellTests.swift"), encoding: .utf8)
        #expect(test.contains("FakePluginContext") && test.contains("@testable import DoorBell"))
        #expect(made.stdout.contains(".target(name: \"DoorBell\", dependencies: [\"PartyBusPluginAPI\"], path: \"Plugins/DoorBell\""))
        #expect(made.stdout.contains("DoorBell.self in BuiltinPlugins.catalog"))
        #expect(try PartybusProcess.run(["plugins", "new", "Bad_Name", "--kind", "exec"]).status != 0)
    }

    @Test("plugins new --kind library: a real swift build and swift test against Plugins/PluginSDK/ resolving only swift-log; the .so runs under plugins test")
    func libraryKind() async throws {
        let dir = try TemporaryDirectory()
        let sdk = PartybusProcess.packageRoot.appendingPathComponent("Plugins/PluginSDK").path
        let made = try PartybusProcess.run(["plugins", "new", "hello", "--kind", "library", "--dir", dir.path("."), "--sdk", sdk])
        #expect(made.status == 0, "\(made.stderr)")
        let package = dir.url.appendingPathComponent("hello")
        // Resolve swift-log from this checkout's own clone instead of the network (tests stay on loopback).
        let clone = try #require(
            try FileManager.default.contentsOfDirectory(atPath: PartybusProcess.packageRoot.appendingPathComponent(".build/repositories").path)
                .first { $0.hasPrefix("swift-log-") })
        let mirror = PartybusProcess.packageRoot.appendingPathComponent(".build/repositories/\(clone)").path
        try FileManager.default.createDirectory(at: package.appendingPathComponent(".swiftpm/configuration"), withIntermediateDirectories: true)
        try """
            {"object": [{"mirror": "\(mirror)", "original": "https://github.com/apple/swift-log"}], "version": 1}
            """.write(to: package.appendingPathComponent(".swiftpm/configuration/mirrors.json"), atomically: true, encoding: .utf8)

        let swift = "/usr/bin/env"
        let build = try ChildProgram(swift, ["swift", "build"], directory: package)
        let buildStatus = build.wait()
        #expect(buildStatus == 0, "swift build: \(build.stdout.finish().suffix(3000)) \(build.stderr.finish().suffix(3000))")
        let resolved = try String(contentsOf: package.appendingPathComponent("Package.resolved"), encoding: .utf8)
        #expect(resolved.contains("swift-log") && resolved.components(separatedBy: "\"identity\"").count == 2,
                "the plugin resolves swift-log only: \(resolved)")
        let test = try ChildProgram(swift, ["swift", "test"], directory: package)
        let testStatus = test.wait()
        let testOutput = test.stdout.finish() + test.stderr.finish()
        #expect(testStatus == 0 && testOutput.contains("greets a member who joins"), "swift test: \(testOutput.suffix(3000))")

        // The .so it built loads into partybus and greets, naming the party from the projection (through the C ABI).
        let library = package.appendingPathComponent(".build/debug/libHello.so").path
        #expect(FileManager.default.fileExists(atPath: library))
        try """
            plugins:
              hello:
                library: \(library)
                options: { greeting: hi }
            """.write(toFile: dir.path("partybus.yaml"), atomically: true, encoding: .utf8)
        let run = try PartybusProcess.run(
            ["plugins", "test", "hello", "--config", dir.path("partybus.yaml"), "--events", package.appendingPathComponent("events.jsonl").path])
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("published hello.greeted {\"onlineId\":\"sim-alice\",\"party\":\"Friday night\",\"text\":\"hi, sim-alice\"}"), "\(run.stdout)")
    }
}
