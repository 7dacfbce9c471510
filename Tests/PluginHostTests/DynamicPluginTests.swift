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

    @Test("a plugin that publishes faster than the log takes gets 'refused' past 4096 waiting, loses nothing it was told was appended")
    func publishFloodIsBounded() async throws {
        let dir = try TemporaryDirectory()
        let flood = 20_000
        let path = try compileC(
            """
            #include "partybus_plugin.h"
            #include <stdatomic.h>
            #include <string.h>
            static atomic_long accepted, refused, answered;
            static char first_error[256];
            static void published(void *token, uint64_t seq, int64_t at, const char *error, size_t length) {
                (void)token; (void)at;
                if (seq > 0) {
                    atomic_fetch_add(&accepted, 1);
                } else if (atomic_fetch_add(&refused, 1) == 0) {
                    size_t n = length < sizeof first_error - 1 ? length : sizeof first_error - 1;
                    memcpy(first_error, error, n);
                    first_error[n] = 0;
                }
                atomic_fetch_add(&answered, 1);
            }
            static void create(const pb_host *host, const char *o, size_t l, void *token, pb_created done) {
                (void)o; (void)l;
                done(token, (void *)host, NULL, 0);
            }
            static void handle(void *instance, const char *json, size_t length, void *token, pb_completion done) {
                (void)json; (void)length;
                const pb_host *host = instance;
                static const char draft[] = "{\\"type\\":\\"flood.item\\",\\"payload\\":{}}";
                for (int i = 0; i < \(flood); i++) host->publish(host->context, draft, sizeof draft - 1, NULL, published);
                done(token, 0, NULL, 0);
            }
            static void stop(void *instance, void *token, pb_completion done) { (void)instance; done(token, 0, NULL, 0); }
            static pb_plugin table = { PB_PLUGIN_API_VERSION, sizeof(pb_plugin), "flood", "1.0", "[\\"demo.flood\\"]",
                                       create, handle, stop };
            const pb_plugin *partybus_plugin_entry(void) { return &table; }
            long flood_accepted(void) { return atomic_load(&accepted); }
            long flood_refused(void) { return atomic_load(&refused); }
            long flood_answered(void) { return atomic_load(&answered); }
            const char *flood_first_error(void) { return first_error; }
            """, name: "flood", in: dir)
        let library = try DynamicPluginLibrary.load(path: path)
        // The same library, opened again here, to read what the plugin itself was told.
        let handle = try #require(dlopen(path, RTLD_NOW))
        typealias Counter = @convention(c) () -> Int
        func counter(_ name: String) throws -> Counter {
            unsafeBitCast(try #require(dlsym(handle, name)), to: Counter.self)
        }
        let accepted = try counter("flood_accepted"), refused = try counter("flood_refused")
        let answered = try counter("flood_answered")
        typealias Message = @convention(c) () -> UnsafePointer<CChar>
        let firstError = unsafeBitCast(try #require(dlsym(handle, "flood_first_error")), to: Message.self)

        let log = try EventLog(path: dir.path("events.sqlite"))
        let memory = MemoryLog()
        let host = try PluginHost(
            log: log, registrations: [library.registration(options: .object([:]))],
            options: PluginHost.Options(dataRoot: dir.url, logger: memory.logger()))
        let running = Task { await host.run() }
        #expect(await eventually { host.statuses().first?.state == .running })
        try await log.append(draft("demo.flood"))
        #expect(await eventually(timeout: .seconds(60)) { answered() == flood })
        #expect(await host.waitUntilIdle())

        // Some were refused (the plugin published 20 000 at once; at most 4096 may wait), each with a clear error.
        #expect(refused() > 0)
        #expect(accepted() + refused() == flood)
        #expect(accepted() >= 4096)
        #expect(String(cString: firstError()).contains("more than 4096 operations of this plugin are waiting"))
        // Every publish the plugin was told succeeded is in the log, and nothing else.
        let items = try log.read(filter: EventFilter(types: ["flood.item"]))
        #expect(items.count == accepted())
        #expect(items.allSatisfy { $0.stream == "plugin/flood" })
        // The plugin is still running, and the refusals were logged once, not 15 000 times.
        #expect(host.statuses().first?.state == .running)
        let warnings = memory.all.filter { $0.contains("operations of this plugin are waiting") }
        #expect((1...16).contains(warnings.count))
        running.cancel()
        await running.value
        dlclose(handle)
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
