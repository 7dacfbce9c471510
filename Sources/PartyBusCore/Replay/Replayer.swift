import Foundation
public import Logging
public import PartyBusPluginAPI

/// Runs a fresh engine over a recorded log: the recorded input events are appended to a scratch log, the
/// configured plugins react with their side effects recorded instead of performed, and the report says what
/// each plugin did, how that differs from what the recording shows it did, and the projections at the end.
public struct Replayer: Sendable {
    /// What to replay.
    public struct Options: Sendable {
        /// First recorded seq (default 1).
        public var from: UInt64 = 1
        /// Last recorded seq (default: the end).
        public var to: UInt64 = .max
        /// 0: as fast as possible; 1: the recorded pace; 2: twice as fast …
        public var speed: Double = 0
        /// Only these plugins (default: every enabled one).
        public var plugins: Set<String>?
        /// More projections for the report, folded from the replay's log by modules Core does not know (the PSN
        /// module's parties), by name.
        public var projections: [String: @Sendable (EventLog) throws -> JSONValue] = [:]
        /// Gives the replayed plugins a party projection over the replay's log (`PluginContext.parties()`).
        public var partyReader: (@Sendable (EventLog) -> any PartyProjectionReader)?
        /// Defaults.
        public init() {}
    }

    /// One plugin's reaction, with the recorded event that caused it.
    public struct Reaction: Sendable, Codable, Equatable {
        /// The plugin.
        public var plugin: String
        /// The recorded seq of the event it was handling.
        public var recordedSeq: UInt64?
        /// `published`, `sideEffect` or `failed`.
        public var kind: String
        /// What.
        public var detail: String
        /// The payload of a published event.
        public var payload: JSONValue?
    }

    /// What the replay found.
    public struct Report: Sendable, Encodable {
        /// Input events replayed.
        public var replayed: Int
        /// Every plugin reaction, in order.
        public var reactions: [Reaction]
        /// Differences between the recorded reactions and the replayed ones.
        public var divergences: [String]
        /// Projections folded from the replayed log, by name.
        public var projections: [String: JSONValue]
        /// Plugins that could not be loaded.
        public var loadFailures: [String]
    }

    private let config: PartyBusConfig
    private let catalog: PluginCatalog
    private let logger: Logger

    /// A replayer that runs the plugins of `config`.
    public init(config: PartyBusConfig, catalog: PluginCatalog, logger: Logger) {
        self.config = config
        self.catalog = catalog
        self.logger = logger
    }

    /// Whether a recorded event is an input (as opposed to a reaction of a plugin or the engine's bookkeeping).
    public static func isInput(_ event: Event) -> Bool {
        !event.stream.hasPrefix("plugin/") && event.stream != "engine"
    }

    /// Replays `recordedPath`; `onEvent` sees each replayed input as it is appended.
    public func run(
        recordedPath: String, options: Options, onEvent: @Sendable (Event) -> Void = { _ in }
    ) async throws -> Report {
        guard FileManager.default.fileExists(atPath: recordedPath) else {
            throw EventLogError("\(recordedPath): no such event log")
        }
        let recorded = try EventLog(readingOnly: recordedPath)
        defer { recorded.close() }
        let scratchFolder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "partybus-replay-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratchFolder) }
        var scratchConfig = config
        scratchConfig.engine.dataDir = scratchFolder.path
        let scratch = try EventLog(path: scratchConfig.eventLogPath, options: .init(synchronous: .off))
        defer { scratch.close() }
        let recorder = ReplayRecorder()
        let engine = try Engine(
            config: scratchConfig, catalog: catalog, log: scratch, logger: logger, recorder: recorder,
            only: options.plugins)
        if let partyReader = options.partyReader { engine.host.attachPartyProjection(partyReader(scratch)) }
        let running = Task { try await engine.run() }
        _ = await engine.host.waitUntilIdle(timeout: .seconds(30))

        var seqMap: [UInt64: UInt64] = [:]
        var replayed = 0
        var previousAt: Int64?
        var next = max(options.from, 1)
        pages: while next <= options.to {
            let page = try recorded.read(from: next, to: options.to, filter: .all, limit: 1024)
            for event in page where Replayer.isInput(event) {
                if options.speed > 0, let previousAt, event.at > previousAt {
                    let delay = Double(event.at - previousAt) / options.speed
                    try await Task.sleep(for: .milliseconds(min(delay, 60_000)))
                }
                previousAt = event.at
                var draft = try EventDraft(
                    stream: event.stream, type: event.type, version: event.version, source: .replay,
                    correlation: event.correlation ?? "recorded:\(event.seq)", payloadJSON: event.payload)
                draft.source = .replay
                let appended = try await scratch.append(draft)
                seqMap[appended.seq] = event.seq
                replayed += 1
                onEvent(event)
            }
            guard let last = page.last, page.count == 1024 else { break pages }
            next = last.seq + 1
        }
        _ = await engine.host.waitUntilIdle(timeout: .seconds(60))
        running.cancel()
        try? await running.value

        let reactions = recorder.all.map { activity in
            Reaction(
                plugin: activity.plugin, recordedSeq: activity.triggerSeq.flatMap { seqMap[$0] },
                kind: activity.kind.rawValue, detail: activity.detail,
                payload: activity.payload.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) })
        }
        let divergences = try compare(recorded: recorded, options: options, reactions: reactions, engine: engine)
        var projections: [String: JSONValue] = [
            PluginStatusProjection.name: try Replayer.json(PluginStatusProjection.fold(scratch)),
            StreamSummaryProjection.name: try Replayer.json(StreamSummaryProjection.fold(scratch)),
        ]
        for (name, fold) in options.projections { projections[name] = try fold(scratch) }
        return Report(
            replayed: replayed, reactions: reactions, divergences: divergences, projections: projections,
            loadFailures: engine.loadFailures.map { "\($0.plugin): \($0.message)" })
    }

    /// Compares, per plugin, the types it published (and its failures) in the recording with the replay's.
    private func compare(
        recorded: EventLog, options: Options, reactions: [Reaction], engine: Engine
    ) throws -> [String] {
        var divergences: [String] = []
        let lifecycle: Set<String> = [PluginStarted.eventType, PluginStopped.eventType, PluginLagging.eventType]
        for status in engine.host.statuses() {
            let name = status.name
            if status.kind == .exec {
                // An exec hook's program is a side effect: it does not run in a replay, so what it would print
                // cannot be compared.
                continue
            }
            var before: [String: Int] = [:]
            var next = max(options.from, 1)
            while next <= options.to {
                let page = try recorded.read(
                    from: next, to: options.to, filter: EventFilter(streams: ["plugin/\(name)"]), limit: 4096)
                for event in page where !lifecycle.contains(event.type) { before[event.type, default: 0] += 1 }
                guard let last = page.last, page.count == 4096 else { break }
                next = last.seq + 1
            }
            var after: [String: Int] = [:]
            for reaction in reactions where reaction.plugin == name {
                switch reaction.kind {
                case "published": after[reaction.detail, default: 0] += 1
                case "failed": after[PluginFailed.eventType, default: 0] += 1
                default: break
                }
            }
            for type in Set(before.keys).union(after.keys).sorted() where before[type] != after[type] {
                divergences.append(
                    "\(name): recorded \(before[type] ?? 0) × \(type), replay produced \(after[type] ?? 0)")
            }
        }
        return divergences
    }

    /// Any Encodable value as a JSON document.
    public static func json(_ value: some Encodable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}
