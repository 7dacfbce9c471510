public import Foundation
public import Logging
public import PartyBusPluginAPI
import Synchronization

/// The `PluginContext` the host gives each plugin: publishing into the log, side effects (done live, recorded
/// in a replay), a logger, a data folder and a clock.
public final class EngineContext: PluginContext, PartyProjectionReader, VoiceTapProviding {
    public let pluginName: String
    /// The daemon's voice taps (nil without voice).
    public let voiceTaps: (any VoiceTapSource)?
    public let logger: Logger
    public let dataDirectory: URL
    public let mode: EngineMode
    private let log: EventLog
    private let source: EventSource
    private let recorder: ReplayRecorder?
    private let clock: @Sendable () -> Int64
    private let currentSeq = Mutex<UInt64?>(nil)
    private let projections: PluginProjectionHub
    private let performRecorded: Bool

    /// Makes a context; `recorder` is given in a replay.
    public init(
        pluginName: String, log: EventLog, source: EventSource, dataRoot: URL, logger: Logger,
        recorder: ReplayRecorder?, clock: @escaping @Sendable () -> Int64,
        projections: PluginProjectionHub = PluginProjectionHub(), liveWithRecorder: Bool = false,
        performRecorded: Bool = false, voiceTaps: (any VoiceTapSource)? = nil
    ) throws {
        self.projections = projections
        self.performRecorded = performRecorded
        self.pluginName = pluginName
        self.voiceTaps = recorder == nil ? voiceTaps : nil
        self.log = log
        self.source = source
        var logger = logger
        logger[metadataKey: "plugin"] = "\(pluginName)"
        self.logger = logger
        self.recorder = recorder
        self.clock = clock
        mode = recorder == nil || liveWithRecorder ? .live : .replay
        dataDirectory = dataRoot.appendingPathComponent("plugins").appendingPathComponent(pluginName)
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
    }

    /// Set by the host while the plugin handles an event, so what it publishes is correlated to it.
    func setCurrent(_ seq: UInt64?) { currentSeq.withLock { $0 = seq } }

    var current: UInt64? { currentSeq.withLock { $0 } }

    public func now() -> Int64 { clock() }

    /// The engine's party projection (when one is attached), folded at least through the event being handled.
    public func parties(through seq: UInt64?) async -> [PartyView] {
        guard let reader = projections.parties else { return [] }
        return await reader.parties(through: seq ?? current)
    }

    @discardableResult
    public func publish(_ draft: EventDraft) async throws -> Event {
        var draft = draft
        draft.source = source
        let trigger = current
        if draft.correlation == nil, let trigger { draft.correlation = "seq:\(trigger)" }
        let event = try await log.append(draft)
        // Drafts published outside `handle` (an exec hook's printed lines) are tied to the event they name.
        let cause = trigger ?? draft.correlation.flatMap { $0.hasPrefix("seq:") ? UInt64($0.dropFirst(4)) : nil }
        recorder?.record(
            .init(plugin: pluginName, triggerSeq: cause, kind: .published, detail: event.type, payload: event.payloadText))
        return event
    }

    public func performSideEffect(_ description: String, _ effect: @Sendable () async throws -> Void) async throws {
        if let recorder {
            recorder.record(.init(plugin: pluginName, triggerSeq: current, kind: .sideEffect, detail: description))
            if performRecorded { try await effect() }
        } else {
            try await effect()
        }
    }
}
