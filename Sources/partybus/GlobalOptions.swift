import ArgumentParser
import AutoRecord
import ExecHooks
import Foundation
import Logging
import PSN
import PartyBusCore
import PartyBusDaemon
import Webhook

/// Options every command that touches the engine takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $PARTYBUS_CONFIG, ./config/partybus.yaml, ~/.config/partybus/partybus.yaml).")
    var config: String?

    @Option(name: .long, help: "Data folder for the event log and plugin data (default: $XDG_DATA_HOME/partybus).")
    var dataDir: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    @Flag(name: .long, help: "Use the built-in simulator's data (<data-dir>/sim) even when PSN credentials are configured.")
    var sim = false

    /// Loads the configuration with the command-line overrides applied, its data folder resolved the one way
    /// every command resolves it: `<data-dir>` against PSN, `<data-dir>/sim` against the built-in simulator (used
    /// with `--sim` or when no `psn.clientSecret` is configured). Prints diagnostics and exits on error.
    func loadConfig() throws -> PartyBusConfig {
        try profile().config
    }

    /// The configuration, whether this data folder is the simulator's, and the PSN settings.
    func profile() throws -> Profile {
        var config = try loadRawConfig()
        let settings = try PSNSupport.settings(config)
        let simulated = sim || settings.clientSecret == nil || settings.clientSecret?.isEmpty == true
        if simulated { config.engine.dataDir = config.dataDirectory.appendingPathComponent("sim").path }
        return Profile(config: config, psn: settings, simulated: simulated)
    }

    /// The configuration as the file and overrides say, data folder unresolved.
    func loadRawConfig() throws -> PartyBusConfig {
        let loader = ConfigLoader(extraSections: GlobalOptions.sections)
        let file = loader.locate(explicit: config)
        var loaded: PartyBusConfig
        do {
            loaded = try loader.load(file: file)
        } catch let errors as ConfigErrors {
            for diagnostic in errors.diagnostics { printError("\(diagnostic)") }
            throw ExitCode(2)
        }
        if let dataDir { loaded.engine.dataDir = dataDir }
        if let logLevel {
            guard Logger.Level(rawValue: logLevel) != nil else {
                throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
            }
            loaded.engine.logLevel = logLevel
        }
        Logging.bootstrapOnce(level: loaded.engine.level)
        return loaded
    }

    /// Sections other modules own: `psn:` (psn-protocol.md §0.2 keys), `sim:` (the built-in simulator) and `voice:`
    /// (values for `${…}` variables of the audio graphs).
    static let sections: [(String, ConfigSchema)] = [
        ("psn", PSNSettings.schema), ("sim", .any), ("voice", .any), ("api", APISettings.schema),
        ("p2p", .any),
    ]

    /// The event log path for commands that only read it.
    func eventLogPath() throws -> String {
        let loaded = try loadConfig()
        return loaded.eventLogPath
    }
}

/// A resolved configuration: the data folder every command uses, and whether it is the simulator's.
struct Profile {
    var config: PartyBusConfig
    var psn: PSNSettings
    var simulated: Bool
}

/// The plugins compiled into this executable.
enum BuiltinPlugins {
    static var catalog: PluginCatalog { PluginCatalog(builtins: [ExecHookPlugin.self, WebhookPlugin.self, AutoRecordPlugin.self]) }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

enum Logging {
    nonisolated(unsafe) private static var bootstrapped = false

    /// Sends logs to standard error at `level` (once per process).
    static func bootstrapOnce(level: Logger.Level) {
        guard !bootstrapped else { return }
        bootstrapped = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// The engine's logger.
    static var engine: Logger { Logger(label: "partybus") }
}
