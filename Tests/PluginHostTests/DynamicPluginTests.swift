import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

@Suite("Dynamic plugins (.so)")
struct DynamicPluginTests {
    var examplePath: String { buildProductsDirectory.appendingPathComponent("libPartyBusExamplePlugin.so").path }

    @Test("the example plugin loads, reacts, fails in isolation and stops cleanly")
    func loadAndRun() async throws {
        let dir = try TemporaryDirectory()
        let library = try DynamicPluginLibrary.load(path: examplePath)
        #expect(library.name == "event-counter")
        #expect(library.version == "1.0.0")
        #expect(library.defaultEvents == ["demo.*", "example.explode"])
        let log = try EventLog(path: dir.path("events.sqlite"))
        var options = PluginHost.Options(dataRoot: dir.url, logger: MemoryLog().logger())
        options.checkpointInterval = .milliseconds(20)
        let host = try PluginHost(
            log: log, registrations: [library.registration(options: .object(["every": .int(2)]))], options: options)
        let running = Task { await host.run() }
        #expect(await eventually { host.statuses().first?.state == .running })
        var joined: [Event] = []
        for _ in 0..<4 { joined.append(try await log.append(draft("demo.member_joined"))) }
        let explode = try await log.append(draft("example.explode"))
        try await log.append(draft("demo.member_left"))
        #expect(await host.waitUntilIdle())
        let counted = try log.read(filter: EventFilter(types: ["example.counted"]))
        let payloads = try counted.map { try $0.decode([String: JSONValue].self) }
        #expect(payloads.map { $0["count"] } == [.int(2), .int(4)])
        #expect(counted.allSatisfy { $0.stream == "plugin/event-counter" })
        #expect(counted.map(\.correlation) == ["seq:\(joined[1].seq)", "seq:\(joined[3].seq)"])
        let failure = try log.read(filter: EventFilter(types: ["plugin.failed"])).first.map { try $0.decode(PluginFailed.self) }
        #expect(failure?.seq == explode.seq)
        #expect(failure?.message.contains("asked to explode") == true)
        running.cancel()
        await running.value
        let counts = try Data(contentsOf: dir.url.appendingPathComponent("plugins/event-counter/counts.json"))
        #expect(try JSONDecoder().decode([String: Int].self, from: counts) == ["demo.member_joined": 4, "demo.member_left": 1])
    }

    @Test("bad options are refused with the plugin's own message")
    func badOptions() async throws {
        let dir = try TemporaryDirectory()
        let library = try DynamicPluginLibrary.load(path: examplePath)
        let log = try EventLog(path: dir.path("events.sqlite"))
        let host = try PluginHost(
            log: log, registrations: [library.registration(options: .object(["every": .int(0)]))],
            options: PluginHost.Options(dataRoot: dir.url, logger: MemoryLog().logger()))
        let running = Task { await host.run() }
        #expect(await eventually { host.statuses().first?.state == .failed })
        #expect(host.statuses().first?.lastError?.contains("options.every must be at least 1") == true)
        running.cancel()
        await running.value
    }

    @Test("a missing file, a truncated .so, a foreign library and a wrong API version each get a clear error")
    func badLibraries() throws {
        let dir = try TemporaryDirectory()
        // Missing.
        #expect(throws: PluginError.self) { try DynamicPluginLibrary.load(path: dir.path("nope.so")) }
        do {
            _ = try DynamicPluginLibrary.load(path: dir.path("nope.so"))
        } catch { #expect("\(error)".contains("no such plugin file")) }
        // Truncated copy of the real plugin.
        let truncated = dir.path("truncated.so")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: examplePath))
        try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: truncated))
        #expect { try DynamicPluginLibrary.load(path: truncated) } throws: { error in
            "\(error)".contains(truncated) && "\(error)".contains("truncated")
        }
        // A text file named .so.
        let text = dir.path("text.so")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        #expect { try DynamicPluginLibrary.load(path: text) } throws: { "\($0)".contains("not an ELF shared object") }
        // A real shared library that is not a plugin.
        let foreign = try compileC(
            "int answer(void) { return 42; }", name: "foreign", in: dir)
        #expect { try DynamicPluginLibrary.load(path: foreign) } throws: { "\($0)".contains("not a PartyBus plugin") }
        // A plugin built for another API version.
        let future = try compileC(
            """
            #include "partybus_plugin.h"
            static pb_plugin table = { 999u, sizeof(pb_plugin), "future", "9.9", "[]", 0, 0, 0 };
            const pb_plugin *partybus_plugin_entry(void) { return &table; }
            """, name: "future", in: dir)
        #expect { try DynamicPluginLibrary.load(path: future) } throws: { error in
            "\(error)".contains("built for plugin API version 999") && "\(error)".contains("speaks version 2")
        }
    }

    /// Compiles C source into a shared object with the system C compiler.
    func compileC(_ source: String, name: String, in dir: TemporaryDirectory) throws -> String {
        let sourcePath = dir.path("\(name).c")
        let output = dir.path("lib\(name).so")
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        let include = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/CPartyBusShims/include").standardized.path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-shared", "-fPIC", "-I", include, "-o", output, sourcePath]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "cc failed for \(name)")
        return output
    }
}
