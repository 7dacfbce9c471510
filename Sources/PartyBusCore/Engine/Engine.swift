import Foundation
public import Logging
import PartyBusPluginAPI

/// The running core: the event log, the plugins on it, and the engine's own lifecycle events.
///
/// `run()` is a service: it appends `engine.started`, runs the plugins until its task is cancelled, then stops
/// them, appends `engine.stopped` and flushes the log, so a stop never leaves anything half-written.
public final class Engine: Sendable {
    /// The engine's version, written in `engine.started`.
    public static let version = "0.1.0"

    /// The log.
    public let log: EventLog
    /// The plugin host.
    public let host: PluginHost
    /// Entries that could not be loaded (reported as `plugin.failed` with reason `load` when the engine starts).
    public let loadFailures: [PluginCatalog.LoadFailure]
    private let logger: Logger
    private let mode: String

    /// Opens the log named by `config` and prepares the enabled plugins.
    public convenience init(
        config: PartyBusConfig, catalog: PluginCatalog, logger: Logger, voiceTaps: (any VoiceTapSource)? = nil
    ) throws {
        let log = try EventLog(
            path: config.eventLogPath, options: .init(synchronous: EventLog.Synchronous(rawValue: config.engine.synchronous) ?? .full))
        try self.init(config: config, catalog: catalog, log: log, logger: logger, voiceTaps: voiceTaps)
    }

    /// Prepares the enabled plugins over an open log.
    public init(
        config: PartyBusConfig, catalog: PluginCatalog, log: EventLog, logger: Logger,
        recorder: ReplayRecorder? = nil, only: Set<String>? = nil, voiceTaps: (any VoiceTapSource)? = nil
    ) throws {
        self.log = log
        self.logger = logger
        mode = recorder == nil ? "live" : "replay"
        var (registrations, failures) = catalog.registrations(for: config.plugins, only: only)
        if recorder != nil {
            // A replay's scratch log is new: every plugin reads it from the start.
            for index in registrations.indices { registrations[index].startAtBeginning = true }
        }
        loadFailures = failures
        var options = PluginHost.Options(dataRoot: config.dataDirectory, logger: logger)
        options.handlerTimeout = .milliseconds(config.engine.handlerTimeoutMs)
        options.startTimeout = .milliseconds(config.engine.startTimeoutMs)
        options.queueCapacity = Int(config.engine.queueCapacity)
        options.recorder = recorder
        options.voiceTaps = voiceTaps
        options.source = recorder == nil ? .live : .replay
        host = try PluginHost(log: log, registrations: registrations, options: options)
    }

    /// Runs until cancelled.
    public func run() async throws {
        try await log.append(
            EventDraft(
                stream: "engine",
                payload: EngineStarted(version: Engine.version, mode: mode, plugins: host.pluginNames)))
        for failure in loadFailures {
            logger.error("plugin \(failure.plugin) not loaded: \(failure.message)")
            try await log.append(
                EventDraft(
                    stream: "plugin/\(failure.plugin)",
                    payload: PluginFailed(plugin: failure.plugin, reason: "load", message: failure.message)))
        }
        await host.run()
        _ = try? await log.append(EventDraft(stream: "engine", payload: EngineStopped(reason: "shutdown")))
        try? await log.flush()
    }
}
