import ArgumentParser
import Foundation
import PartyBusCore

/// Payloads of the demo's scripted party (the PSN module brings the real `party.*` catalogue).
enum DemoEvents {
    struct PartyCreated: EventPayload { static let eventType = "demo.party_created"; var name: String; var owner: String }
    struct MemberJoined: EventPayload { static let eventType = "demo.member_joined"; var onlineId: String; var joinOrder: Int }
    struct VoiceConnected: EventPayload { static let eventType = "demo.voice_connected"; var codec: String; var accessToken: Secret }
    struct MemberLeft: EventPayload { static let eventType = "demo.member_left"; var onlineId: String }
    struct PartyDeleted: EventPayload { static let eventType = "demo.party_deleted"; var cause: String }
}

/// `partybus demo`: record a scripted party through the engine and its plugins, then replay the recording.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Record a scripted party through the engine and its plugins, then replay the recording.",
        discussion: """
            Runs the plugins of the configuration (the shipped config has an exec hook) — plus, with --with-example, the \
            example shared-object plugin built beside this executable — appends a short scripted party to the event \
            log, shows what the plugins did, then replays the log with side effects recorded instead of performed.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Pause between scripted events, in milliseconds.") var pace = 300
    @Flag(name: .long, help: "Also run the example .so plugin (event-counter) built beside this executable.")
    var withExample = false

    func run() async throws {
        var config = try global.loadConfig()
        let example = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("libPartyBusExamplePlugin.so").path
        if withExample {
            guard FileManager.default.fileExists(atPath: example) else {
                printError("error: --with-example: \(example) is not built (swift build --product PartyBusExamplePlugin)")
                throw ExitCode(2)
            }
            print("--with-example: adding the example plugin event-counter (\(example))")
            config.plugins.removeAll { $0.name == "event-counter" }
            config.plugins.append(
                .init(name: "event-counter", enabled: true, library: example, events: ["demo.*"], start: "latest",
                      options: .object(["every": .int(1)])))
        }
        let logger = Logging.engine
        // The demo writes the folder's log: like `up`, it must be the only writer.
        let lock: DataFolderLock
        do { lock = try DataFolderLock(folder: config.dataDirectory, purpose: "partybus demo") } catch {
            printError("error: \(error) (stop it, or give the demo its own --data-dir)")
            throw ExitCode(3)
        }
        defer { lock.release() }
        let engine = try Engine(config: config, catalog: BuiltinPlugins.catalog, logger: logger)
        let log = engine.log
        let printer = EventPrinter()
        print("PartyBus demo — event log: \(config.eventLogPath)")
        print("plugins: \(engine.host.pluginNames.joined(separator: ", "))\n")
        let firstSeq = log.head + 1
        let running = Task { try await engine.run() }
        let echo = Task {
            for try await event in log.subscribe(from: firstSeq) { printer.print(event) }
        }
        _ = await engine.host.waitUntilIdle(timeout: .seconds(10))
        let stream = "party/demo-\(UUID().uuidString.prefix(8).lowercased())"
        let script: [any EventPayload] = [
            DemoEvents.PartyCreated(name: "Friday night", owner: "you"),
            DemoEvents.MemberJoined(onlineId: "you", joinOrder: 1),
            DemoEvents.MemberJoined(onlineId: "sim-alice", joinOrder: 2),
            DemoEvents.VoiceConnected(codec: "opus/48000", accessToken: Secret("demo-token-never-written")),
            DemoEvents.MemberJoined(onlineId: "sim-bob", joinOrder: 3),
            DemoEvents.MemberLeft(onlineId: "sim-alice"),
            DemoEvents.MemberLeft(onlineId: "sim-bob"),
            DemoEvents.MemberLeft(onlineId: "you"),
            DemoEvents.PartyDeleted(cause: "LAST_MEMBER_LEFT"),
        ]
        for payload in script {
            try await log.append(EventDraft(stream: stream, payload: payload, source: .sim))
            try await Task.sleep(for: .milliseconds(pace))
        }
        _ = await engine.host.waitUntilIdle(timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(200))
        running.cancel()
        try? await running.value
        echo.cancel()
        let lastSeq = log.head
        print("\nplugin status:")
        for status in engine.host.statuses() {
            print("  \(status.name) [\(status.kind.rawValue)] \(status.state.rawValue), handled \(status.handled), failures \(status.failures)")
        }
        log.close()

        print("\nreplaying #\(firstSeq)…#\(lastSeq) with side effects recorded, not performed:")
        var replayOptions = Replayer.Options()
        replayOptions.from = firstSeq
        replayOptions.to = lastSeq
        ReplayCommand.addPartyProjection(to: &replayOptions)
        let report = try await Replayer(config: config, catalog: BuiltinPlugins.catalog, logger: logger)
            .run(recordedPath: config.eventLogPath, options: replayOptions)
        ReplayCommand.printReport(report)
        print("\nInspect the log: partybus events tail -n 30   ·   partybus events stats   ·   partybus replay \(config.eventLogPath)")
    }
}
