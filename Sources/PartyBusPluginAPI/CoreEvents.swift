/// `plugin.started`: a plugin instance was created and began reading from `fromSeq`.
public struct PluginStarted: EventPayload, Equatable {
    public static let eventType = "plugin.started"
    /// The plugin's name.
    public var plugin: String
    /// `builtin`, `dynamic` or `exec`.
    public var kind: String
    /// The first seq it will be offered.
    public var fromSeq: UInt64
    /// Makes the payload.
    public init(plugin: String, kind: String, fromSeq: UInt64) {
        self.plugin = plugin
        self.kind = kind
        self.fromSeq = fromSeq
    }
}

/// `plugin.failed`: a plugin threw, timed out, could not start, or (exec hooks) its process exited.
public struct PluginFailed: EventPayload, Equatable {
    public static let eventType = "plugin.failed"
    /// The plugin's name.
    public var plugin: String
    /// `threw`, `timeout`, `start`, `exited`, `load`.
    public var reason: String
    /// What went wrong, readable.
    public var message: String
    /// The seq of the event being handled, when there was one.
    public var seq: UInt64?
    /// The type of that event.
    public var eventType: String?
    /// Makes the payload.
    public init(plugin: String, reason: String, message: String, seq: UInt64? = nil, eventType: String? = nil) {
        self.plugin = plugin
        self.reason = reason
        self.message = message
        self.seq = seq
        self.eventType = eventType
    }
}

/// `plugin.stopped`: a plugin was stopped (engine shutdown, or disabled after failing to start).
public struct PluginStopped: EventPayload, Equatable {
    public static let eventType = "plugin.stopped"
    /// The plugin's name.
    public var plugin: String
    /// The last seq it handled.
    public var checkpoint: UInt64
    /// Makes the payload.
    public init(plugin: String, checkpoint: UInt64) {
        self.plugin = plugin
        self.checkpoint = checkpoint
    }
}

/// `plugin.lagging`: a plugin's queue overflowed; it now reads from the log until it catches up. Nothing is lost.
public struct PluginLagging: EventPayload, Equatable {
    public static let eventType = "plugin.lagging"
    /// The plugin's name.
    public var plugin: String
    /// The first seq it has not been given yet.
    public var nextSeq: UInt64
    /// Makes the payload.
    public init(plugin: String, nextSeq: UInt64) {
        self.plugin = plugin
        self.nextSeq = nextSeq
    }
}

/// `engine.started`: the engine opened the log and started its plugins.
public struct EngineStarted: EventPayload, Equatable {
    public static let eventType = "engine.started"
    /// The engine version.
    public var version: String
    /// `live` or `replay`.
    public var mode: String
    /// Names of the plugins it runs.
    public var plugins: [String]
    /// Makes the payload.
    public init(version: String, mode: String, plugins: [String]) {
        self.version = version
        self.mode = mode
        self.plugins = plugins
    }
}

/// `engine.stopped`: the engine shut down cleanly.
public struct EngineStopped: EventPayload, Equatable {
    public static let eventType = "engine.stopped"
    /// Why it stopped (`signal`, `finished`, …).
    public var reason: String
    /// Makes the payload.
    public init(reason: String) { self.reason = reason }
}
