import ArgumentParser
import ExecHooks
import Foundation
import Logging
import PSN
import PartyBusCore

/// Options every command that touches the engine takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $PARTYBUS_CONFIG, ./config/partybus.yaml, ~/.config/partybus/partybus.yaml).")
    var config: String?

    @Option(name: .long, help: "Data folder for the event log and plugin data (default: $XDG_DATA_HOME/partybus).")
    var dataDir: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    /// Loads the configuration with the command-line overrides applied; prints diagnostics and exits on error.
    func loadConfig() throws -> PartyBusConfig {
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
    static let sections: [(String, ConfigSchema)] = [("psn", PSNSettings.schema), ("sim", .any), ("voice", .any)]

    /// The event log path for commands that only read it.
    func eventLogPath() throws -> String {
        let loaded = try loadConfig()
        return loaded.eventLogPath
    }
}

/// The plugins compiled into this executable.
enum BuiltinPlugins {
    static var catalog: PluginCatalog { PluginCatalog(builtins: [ExecHookPlugin.self]) }
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
