public import PartyBusPluginAPI

/// How a plugin was loaded.
public enum PluginKind: String, Sendable, Codable, Hashable {
    /// Compiled into the engine, enabled in config.
    case builtin
    /// Loaded from a shared object with dlopen.
    case dynamic
    /// A program fed events as JSON lines.
    case exec
}

/// Everything the host needs to run one plugin: its name, what it wants, and how to make it.
public struct PluginRegistration: Sendable {
    /// Unique name; its stream is `plugin/<name>` and its checkpoint is saved under it.
    public var name: String
    /// How it was loaded.
    public var kind: PluginKind
    /// Which events it is given (its own stream is always left out).
    public var filter: EventFilter
    /// Where a plugin with no checkpoint starts: at the next new event (default) or at the log's beginning.
    public var startAtBeginning: Bool
    /// Makes the instance.
    public var make: @Sendable (any PluginContext) async throws -> any Plugin

    /// Describes a plugin.
    public init(
        name: String, kind: PluginKind, events: [String], startAtBeginning: Bool = false,
        make: @escaping @Sendable (any PluginContext) async throws -> any Plugin
    ) {
        self.name = name
        self.kind = kind
        self.filter = EventFilter(types: events, excludedStreams: ["plugin/\(name)"])
        self.startAtBeginning = startAtBeginning
        self.make = make
    }

    /// A registration for a `LoadablePlugin` type with its options.
    public static func loadable(
        _ type: any LoadablePlugin.Type, name: String? = nil, kind: PluginKind = .builtin, events: [String]? = nil,
        options: PluginOptions = PluginOptions(), startAtBeginning: Bool = false
    ) -> PluginRegistration {
        PluginRegistration(
            name: name ?? type.name, kind: kind, events: events ?? type.defaultEvents,
            startAtBeginning: startAtBeginning
        ) { context in
            try await type.init(context: context, options: options)
        }
    }
}
