import Foundation
import PartyBusPluginAPI

/// `example.counted`: the event counter saw another `every` events of a type.
public struct EventCounted: EventPayload, Equatable {
    public static let eventType = "example.counted"
    /// The type counted.
    public var type: String
    /// How many of that type so far.
    public var count: Int
    /// The seq of the event that reached the count.
    public var lastSeq: UInt64
}

/// The example third-party plugin, loaded from `libPartyBusExamplePlugin.so`: counts events per type, publishes
/// `example.counted` every `every` events of a type, fails on `example.explode` (to show isolation), and writes
/// its counts to `counts.json` in its data folder when it stops.
public actor EventCounter: LoadablePlugin {
    public static let name = "event-counter"
    public static let version = "1.0.0"
    public static let defaultEvents = ["demo.*", "example.explode"]

    /// Options under `options:` in the config.
    struct Options: Decodable {
        /// Publish every this many events of one type (default 1).
        var every: Int?
    }

    private let context: any PluginContext
    private let every: Int
    private var counts: [String: Int] = [:]

    public init(context: any PluginContext, options: PluginOptions) async throws {
        let decoded = try options.decode(Options.self, plugin: Self.name)
        let every = decoded.every ?? 1
        guard every >= 1 else { throw PluginError("plugin '\(Self.name)': options.every must be at least 1") }
        self.context = context
        self.every = every
        context.logger.info("event counter ready, publishing every \(every) events")
    }

    public func handle(_ event: Event) async throws {
        if event.type == "example.explode" {
            throw PluginError("asked to explode by event #\(event.seq)")
        }
        let count = counts[event.type, default: 0] + 1
        counts[event.type] = count
        if count % every == 0 {
            try await context.publish(EventCounted(type: event.type, count: count, lastSeq: event.seq))
        }
    }

    public func stop() async {
        let file = context.dataDirectory.appendingPathComponent("counts.json")
        let snapshot = counts
        try? await context.performSideEffect("write \(file.path)") {
            let data = try JSONEncoder().encode(snapshot)
            try data.write(to: file, options: .atomic)
        }
    }
}

/// The entry symbol the engine looks up with dlsym.
@_cdecl("partybus_plugin_entry")
public func partybusPluginEntry() -> UnsafeRawPointer {
    DynamicPluginExport.entry(for: EventCounter.self)
}
