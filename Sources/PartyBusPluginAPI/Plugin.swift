public import Foundation
public import Logging

/// A module that reacts to events: the unit the plugin host runs, checkpoints and isolates.
///
/// The host calls `handle(_:)` once per matching event, in log order, never concurrently for one plugin, with a
/// per-event timeout. A thrown error or a timeout becomes a `plugin.failed` event and the host moves on; the
/// host never waits for a plugin to let the bus or another plugin go on. Delivery is at-least-once: after a
/// crash a plugin may see again the few events handled since its last saved checkpoint.
public protocol Plugin: Sendable {
    /// Handles one event. Honour task cancellation: the host cancels a call that exceeds its timeout.
    func handle(_ event: Event) async throws
    /// Stops the plugin: finish or abandon work, release processes, files and sockets.
    func stop() async
}

extension Plugin {
    /// Nothing to release by default.
    public func stop() async {}
}

/// Whether the engine is live or replaying a recorded log.
public enum EngineMode: String, Sendable, Hashable {
    /// Side effects happen.
    case live
    /// A replay: side effects are described to `PluginContext.performSideEffect` and recorded, not done.
    case replay
}

/// What the engine offers a plugin: publishing, side effects, logging, a data folder, a clock.
public protocol PluginContext: Sendable {
    /// The plugin's name (unique in the engine).
    var pluginName: String { get }
    /// A logger labelled with the plugin's name.
    var logger: Logger { get }
    /// A folder that belongs to this plugin; it exists.
    var dataDirectory: URL { get }
    /// Live or replay.
    var mode: EngineMode { get }
    /// Milliseconds since 1970 (the replay clock during a replay).
    func now() -> Int64
    /// Appends an event to the log on the plugin's stream (`plugin/<name>`) unless the draft names another.
    /// Returns the appended event.
    @discardableResult
    func publish(_ draft: EventDraft) async throws -> Event
    /// Runs `effect` when live; in a replay records `description` instead. Every action that reaches outside
    /// the engine (a process, a file, a socket, an HTTP call) goes through here.
    func performSideEffect(_ description: String, _ effect: @Sendable () async throws -> Void) async throws
}

extension PluginContext {
    /// Publishes a typed payload on the plugin's own stream.
    @discardableResult
    public func publish<Payload: EventPayload>(_ payload: Payload, correlation: String? = nil) async throws -> Event {
        try await publish(EventDraft(stream: "plugin/\(pluginName)", payload: payload, correlation: correlation))
    }
}

/// A plugin's own configuration: the `options` mapping of its entry in `config/partybus.yaml`, as JSON.
public struct PluginOptions: Sendable, Hashable {
    /// The options document (an object; empty when none were given).
    public let json: JSONValue

    /// Wraps an options document.
    public init(_ json: JSONValue = .object([:])) { self.json = json }

    /// Decodes the options into the plugin's own Codable struct, saying which key is wrong.
    public func decode<Options: Decodable>(_ type: Options.Type, plugin: String) throws -> Options {
        do {
            let data = try JSONEncoder().encode(json)
            return try JSONDecoder().decode(Options.self, from: data)
        } catch {
            throw PluginError("plugin '\(plugin)': options: \(EventJSON.describe(error))")
        }
    }
}

/// An error a plugin reports: the message is shown as is (in `plugin.failed` and logs).
public struct PluginError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let message: String
    /// Makes the error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
