public import Foundation
public import Logging

/// The engine's configuration: `config/partybus.yaml` with `PARTYBUS_*` overrides applied and defaults filled in.
public struct PartyBusConfig: Sendable {
    /// The `engine:` section.
    public var engine: EngineSettings
    /// The `plugins:` section, in file order.
    public var plugins: [PluginSettings]
    /// Sections registered by other modules (`psn:`, `voice:` …), as typed JSON.
    public var sections: [String: JSONValue]
    /// The file it was read from (nil: built-in defaults only).
    public var file: String?

    /// `engine:` — where data lives and how plugins are run.
    public struct EngineSettings: Sendable, Codable, Equatable {
        /// Folder for the event log, tokens and plugin data ("" = `$XDG_DATA_HOME/partybus`).
        public var dataDir: String
        /// trace, debug, info, notice, warning, error or critical.
        public var logLevel: String
        /// Longest one plugin call may take, in milliseconds.
        public var handlerTimeoutMs: Int64
        /// Longest a plugin may take to start, in milliseconds.
        public var startTimeoutMs: Int64
        /// Events buffered per plugin before it falls back to reading the log.
        public var queueCapacity: Int64
        /// `full` (survives power loss) or `normal` (survives a process crash).
        public var synchronous: String

        enum CodingKeys: String, CodingKey {
            case dataDir = "data_dir"
            case logLevel = "log_level"
            case handlerTimeoutMs = "handler_timeout_ms"
            case startTimeoutMs = "start_timeout_ms"
            case queueCapacity = "queue_capacity"
            case synchronous
        }

        /// The level as swift-log's type.
        public var level: Logger.Level { Logger.Level(rawValue: logLevel) ?? .info }
    }

    /// One entry under `plugins:`.
    public struct PluginSettings: Sendable, Codable, Equatable {
        /// The entry's key: the plugin instance's name.
        public var name: String
        /// false to keep the entry but not run it.
        public var enabled: Bool
        /// A built-in plugin's name.
        public var builtin: String?
        /// A shared object to load.
        public var library: String?
        /// A program and its arguments (an exec hook).
        public var exec: [String]?
        /// Event type globs (nil: the plugin's defaults).
        public var events: [String]?
        /// `latest` (default) or `beginning`: where a plugin with no checkpoint starts.
        public var start: String
        /// The plugin's own options.
        public var options: JSONValue

        /// Makes an entry (the config file is the usual source; commands add entries this way).
        public init(
            name: String, enabled: Bool = true, builtin: String? = nil, library: String? = nil,
            exec: [String]? = nil, events: [String]? = nil, start: String = "latest",
            options: JSONValue = .object([:])
        ) {
            self.name = name
            self.enabled = enabled
            self.builtin = builtin
            self.library = library
            self.exec = exec
            self.events = events
            self.start = start
            self.options = options
        }

        /// The kind of entry.
        public var kind: PluginKind { library != nil ? .dynamic : exec != nil ? .exec : .builtin }
    }

    /// The data folder: `engine.data_dir`, else `$XDG_DATA_HOME/partybus`, else `~/.local/share/partybus`.
    public var dataDirectory: URL {
        if !engine.dataDir.isEmpty { return URL(fileURLWithPath: (engine.dataDir as NSString).expandingTildeInPath) }
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("partybus")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/partybus")
    }

    /// The event log's file in the data folder.
    public var eventLogPath: String { dataDirectory.appendingPathComponent("events.sqlite").path }
}
