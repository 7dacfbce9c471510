import ArgumentParser
import Foundation
import PSN
import PartyBusCore

/// `partybus plugins test NAME --events FILE.jsonl`: feeds recorded events to one configured plugin of any kind (a
/// built-in, a `.so`, an exec hook) in a scratch engine and prints, per event, what it published and the side
/// effects it asked for.
struct PluginsTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Feed recorded events (JSON lines) to one configured plugin and print its drafts and side effects.",
        discussion: """
            The plugin runs live in a scratch engine (its data folder and log are temporary; exec hooks run their \
            program, which gets PARTYBUS_DRY_RUN=1) and sees each event of FILE, one JSON object per line in the \
            `events export --jsonl` form. Side effects asked through the context are printed, not performed, unless \
            --perform. Exit status 1 when the plugin failed to load or failed on an event.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The plugin's name in the configuration (`plugins:` key).") var name: String
    @Option(name: .long, help: "Events to feed: one JSON event per line (`partybus events export --jsonl` form).")
    var events: String
    @Flag(name: .long, help: "Perform side effects too (an HTTP call really goes out).") var perform = false
    @Option(name: .long, help: "After the last event, wait this long for output that comes later (exec hooks), ms.")
    var settleMs = 500
    @Flag(name: .long, help: "Print one JSON line per reaction instead of text.") var json = false

    func run() async throws {
        let config = try global.loadConfig()
        guard var entry = config.plugins.first(where: { $0.name == name }) else {
            let known = config.plugins.map(\.name).joined(separator: ", ")
            printError("error: no plugin '\(name)' in \(config.file ?? "the configuration") (configured: \(known.isEmpty ? "none" : known))")
            throw ExitCode(2)
        }
        entry.enabled = true
        if entry.exec != nil, case .object(var members) = entry.options {
            var env: [String: JSONValue] = [:]
            if case .object(let given)? = members["env"] { env = given }
            env["PARTYBUS_DRY_RUN"] = .string(perform ? "0" : "1")
            members["env"] = .object(env)
            entry.options = .object(members)
        }
        let fed = try Self.readEvents(events)

        let scratchFolder = FileManager.default.temporaryDirectory.appendingPathComponent("partybus-plugin-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratchFolder) }
        try FileManager.default.createDirectory(at: scratchFolder, withIntermediateDirectories: true)
        let scratch = try EventLog(
            path: scratchFolder.appendingPathComponent("events.sqlite").path, options: .init(synchronous: .off))
        defer { scratch.close() }

        // The events go in first, so a file of seqs 1…n keeps its seqs in the scratch log the plugin reads.
        var lineOf: [UInt64: (line: Int, event: Event)] = [:]
        for (line, event) in fed {
            let draft = try EventDraft(
                stream: event.stream, type: event.type, version: event.version, source: event.source,
                correlation: event.correlation, payloadJSON: event.payload)
            let appended = try await scratch.append(draft)
            lineOf[appended.seq] = (line, event)
        }

        var (registrations, failures) = BuiltinPlugins.catalog.registrations(for: [entry])
        for failure in failures { printError("error: plugin \(failure.plugin) not loaded: \(failure.message)") }
        guard !registrations.isEmpty else { throw ExitCode(1) }
        registrations[0].startAtBeginning = true
        let recorder = ReplayRecorder()
        var options = PluginHost.Options(dataRoot: scratchFolder, logger: Logging.engine)
        options.handlerTimeout = .milliseconds(config.engine.handlerTimeoutMs)
        options.startTimeout = .milliseconds(config.engine.startTimeoutMs)
        options.recorder = recorder
        options.liveWithRecorder = true
        options.performRecordedSideEffects = perform
        let host = try PluginHost(log: scratch, registrations: registrations, options: options)
        host.attachPartyProjection(FoldedPartyReader(log: scratch))
        let running = Task { await host.run() }
        _ = await host.waitUntilIdle(timeout: .seconds(60))
        try? await Task.sleep(for: .milliseconds(max(settleMs, 0)))
        running.cancel()
        await running.value

        let reactions = recorder.all.filter { $0.plugin == name }
        let failed = Self.print(reactions: reactions, fed: fed, lineOf: lineOf, json: json)
        let status = host.statuses().first
        if !json {
            Swift.print("\n\(fed.count) events fed to \(name) [\(entry.kind.rawValue)]: \(reactions.filter { $0.kind == .published }.count) published, \(reactions.filter { $0.kind == .sideEffect }.count) side effects \(perform ? "performed" : "recorded, not performed"), \(failed) failures")
            if status?.state == .failed { Swift.print("the plugin did not start: \(status?.lastError ?? "")") }
        }
        if failed > 0 || status?.state == .failed { throw ExitCode(1) }
    }

    /// Reads a JSON-lines file of events; an unreadable line is an error naming the file and line.
    static func readEvents(_ path: String) throws -> [(line: Int, event: Event)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("error: --events: cannot read \(path)")
            throw ExitCode(2)
        }
        guard data.count <= 256 << 20 else {
            printError("error: --events: \(path) is larger than 256 MiB")
            throw ExitCode(2)
        }
        var out: [(line: Int, event: Event)] = []
        for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            if trimmed.isEmpty || trimmed.first == UInt8(ascii: "#") { continue }
            do {
                out.append((line: index + 1, event: try EventJSON.event(fromLine: Data(trimmed))))
            } catch {
                printError("error: \(path):\(index + 1): \(error)")
                throw ExitCode(2)
            }
        }
        return out
    }

    /// Prints reactions grouped under the event that caused them; returns how many failures there were.
    static func print(
        reactions: [ReplayRecorder.Activity], fed: [(line: Int, event: Event)],
        lineOf: [UInt64: (line: Int, event: Event)], json: Bool
    ) -> Int {
        let encoder = JSONEncoder.sortedCompact
        func payloadText(_ activity: ReplayRecorder.Activity) -> String { activity.payload.map { " " + $0 } ?? "" }
        if json {
            for activity in reactions {
                let cause = activity.triggerSeq.flatMap { lineOf[$0] }
                var object: [String: JSONValue] = [
                    "kind": .string(activity.kind.rawValue), "detail": .string(activity.detail),
                ]
                if let cause {
                    object["line"] = .int(Int64(cause.line))
                    object["eventType"] = .string(cause.event.type)
                }
                if let payload = activity.payload, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(payload.utf8)) {
                    object["payload"] = value
                }
                if let data = try? encoder.encode(JSONValue.object(object)) { Swift.print(String(decoding: data, as: UTF8.self)) }
            }
            return reactions.filter { $0.kind == .failed }.count
        }
        let byTrigger = Dictionary(grouping: reactions.filter { $0.triggerSeq.flatMap { lineOf[$0] } != nil }) { $0.triggerSeq ?? 0 }
        let fedSeqs = lineOf.keys.sorted()
        for seq in fedSeqs {
            guard let (line, event) = lineOf[seq] else { continue }
            let renumbered = event.seq == seq ? "" : " (#\(event.seq) in the file)"
            Swift.print("line \(line): #\(seq) \(event.type)\(renumbered)")
            for activity in byTrigger[seq] ?? [] {
                switch activity.kind {
                case .published: Swift.print("  published \(activity.detail)\(payloadText(activity))")
                case .sideEffect: Swift.print("  side effect: \(activity.detail)")
                case .failed: Swift.print("  FAILED: \(activity.detail)")
                }
            }
        }
        let loose = reactions.filter { $0.triggerSeq.flatMap { lineOf[$0] } == nil }
        if !loose.isEmpty {
            Swift.print("not tied to one event:")
            for activity in loose {
                switch activity.kind {
                case .published: Swift.print("  published \(activity.detail)\(payloadText(activity))")
                case .sideEffect: Swift.print("  side effect: \(activity.detail)")
                case .failed: Swift.print("  FAILED: \(activity.detail)")
                }
            }
        }
        return reactions.filter { $0.kind == .failed }.count
    }
}
