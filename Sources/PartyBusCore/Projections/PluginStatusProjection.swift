public import PartyBusPluginAPI

/// What the log says about each plugin: started, stopped, failures and the last error.
public struct PluginStatusProjection: Projection, Equatable {
    public static let name = "plugins"
    public static let filter = EventFilter(types: ["plugin.*"])

    /// One plugin as seen in the log.
    public struct Entry: Sendable, Codable, Equatable {
        /// `running`, `stopped` or `failed`.
        public var state: String = "unknown"
        /// How it was loaded, when known.
        public var kind: String?
        /// Failures recorded.
        public var failures: Int = 0
        /// The last failure's reason and message.
        public var lastFailure: String?
        /// Seq of the last status event.
        public var lastSeq: UInt64 = 0
        /// Times it fell behind.
        public var lagged: Int = 0
    }

    /// Plugins by name.
    public var plugins: [String: Entry] = [:]

    public init() {}

    public mutating func apply(_ event: Event) {
        switch event.type {
        case PluginStarted.eventType:
            guard let payload = try? event.decode(PluginStarted.self) else { return }
            plugins[payload.plugin, default: Entry()].state = "running"
            plugins[payload.plugin]?.kind = payload.kind
            plugins[payload.plugin]?.lastSeq = event.seq
        case PluginStopped.eventType:
            guard let payload = try? event.decode(PluginStopped.self) else { return }
            plugins[payload.plugin, default: Entry()].state = "stopped"
            plugins[payload.plugin]?.lastSeq = event.seq
        case PluginFailed.eventType:
            guard let payload = try? event.decode(PluginFailed.self) else { return }
            var entry = plugins[payload.plugin, default: Entry()]
            entry.failures += 1
            entry.lastFailure = "\(payload.reason): \(payload.message)"
            entry.lastSeq = event.seq
            if payload.reason == "start" || payload.reason == "load" { entry.state = "failed" }
            plugins[payload.plugin] = entry
        case PluginLagging.eventType:
            guard let payload = try? event.decode(PluginLagging.self) else { return }
            plugins[payload.plugin, default: Entry()].lagged += 1
        default:
            break
        }
    }
}
