import CPartyBusShims
import Foundation
import Logging
import Synchronization

/// Turns a `LoadablePlugin` into the C table (`pb_plugin`) a shared-object plugin exports.
///
/// In the plugin's library target:
/// ```swift
/// @_cdecl("partybus_plugin_entry")
/// public func partybusPluginEntry() -> UnsafeRawPointer {
///     DynamicPluginExport.entry(for: MyPlugin.self)
/// }
/// ```
/// Build it as a `.dynamic` library product and name the `.so` under `dynamic_plugins` in the config.
public enum DynamicPluginExport {
    private static let exported = Mutex<ExportedTable?>(nil)

    /// The `pb_plugin` table for `type`, made once per process; pass it back from the entry symbol.
    public static func entry(for type: any LoadablePlugin.Type) -> UnsafeRawPointer {
        exported.withLock { table in
            if let table { return UnsafeRawPointer(table.pointer.raw!) }
            let made = ExportedTable(type: type)
            table = made
            return UnsafeRawPointer(made.pointer.raw!)
        }
    }

    /// The plugin type behind the table; set before the engine can call any entry of it.
    static var pluginType: any LoadablePlugin.Type {
        exported.withLock { $0!.type }
    }
}

/// The process-lifetime C table and the type it creates.
private struct ExportedTable: Sendable {
    let type: any LoadablePlugin.Type
    let pointer: UnsafeSendablePointer

    init(type: any LoadablePlugin.Type) {
        self.type = type
        let eventsJSON = (try? JSONEncoder().encode(type.defaultEvents)).map { String(decoding: $0, as: UTF8.self) }
        let table = UnsafeMutablePointer<pb_plugin>.allocate(capacity: 1)
        table.initialize(
            to: pb_plugin(
                api_version: pb_plugin_api_version(),
                struct_size: UInt32(MemoryLayout<pb_plugin>.size),
                name: UnsafePointer(strdup(type.name)),
                version: UnsafePointer(strdup(type.version)),
                default_events_json: UnsafePointer(strdup(eventsJSON ?? "[]")),
                create: exportedCreate,
                handle: exportedHandle,
                stop: exportedStop))
        pointer = UnsafeSendablePointer(UnsafeMutableRawPointer(table))
    }
}

/// One created plugin and its context, kept alive by the engine's handle until stop.
private final class ExportedInstance: Sendable {
    let plugin: any LoadablePlugin
    init(plugin: any LoadablePlugin) { self.plugin = plugin }
}

private func reportError(_ message: String, _ body: (UnsafePointer<CChar>, Int) -> Void) {
    message.withCString { body($0, strlen($0)) }
}

private let exportedCreate:
    @convention(c) (
        UnsafePointer<pb_host>?, UnsafePointer<CChar>?, Int, UnsafeMutableRawPointer?, pb_created?
    ) -> Void = { host, optionsJSON, optionsLength, token, done in
        guard let done else { return }
        guard let host else {
            reportError("no host table") { done(token, nil, $0, $1) }
            return
        }
        let context = HostBackedContext(host: host.pointee)
        let options = optionsJSON.map { Data(bytes: $0, count: optionsLength) } ?? Data("{}".utf8)
        let token = UnsafeSendablePointer(token)
        let type = DynamicPluginExport.pluginType
        Task {
            do {
                let json = try JSONDecoder().decode(JSONValue.self, from: options)
                let plugin = try await type.init(context: context, options: PluginOptions(json))
                let instance = Unmanaged.passRetained(ExportedInstance(plugin: plugin)).toOpaque()
                done(token.raw, instance, nil, 0)
            } catch {
                reportError("\(error)") { done(token.raw, nil, $0, $1) }
            }
        }
    }

private let exportedHandle:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, UnsafeMutableRawPointer?, pb_completion?
    ) -> Void = { instance, eventJSON, length, token, done in
        guard let done else { return }
        guard let instance, let eventJSON else {
            reportError("no instance or event") { done(token, 1, $0, $1) }
            return
        }
        let plugin = Unmanaged<ExportedInstance>.fromOpaque(instance).takeUnretainedValue().plugin
        let line = Data(bytes: eventJSON, count: length)
        let token = UnsafeSendablePointer(token)
        Task {
            do {
                let event = try EventJSON.event(fromLine: line)
                try await plugin.handle(event)
                done(token.raw, 0, nil, 0)
            } catch {
                reportError("\(error)") { done(token.raw, 1, $0, $1) }
            }
        }
    }

private let exportedStop:
    @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, pb_completion?) -> Void = {
        instance, token, done in
        guard let instance else {
            done?(token, 0, nil, 0)
            return
        }
        let box = Unmanaged<ExportedInstance>.fromOpaque(instance)
        let handle = UnsafeSendablePointer(instance)
        let token = UnsafeSendablePointer(token)
        _ = box
        Task {
            let owned = Unmanaged<ExportedInstance>.fromOpaque(handle.raw!).takeRetainedValue()
            await owned.plugin.stop()
            done?(token.raw, 0, nil, 0)
        }
    }

/// The `PluginContext` a dynamic plugin sees: every call goes through the engine's `pb_host` table.
private struct HostBackedContext: PluginContext, PartyProjectionReader, @unchecked Sendable {
    let host: pb_host
    let pluginName: String
    let dataDirectory: URL
    let mode: EngineMode

    init(host: pb_host) {
        self.host = host
        pluginName = host.plugin_name.map { String(cString: $0) } ?? "dynamic"
        dataDirectory = URL(fileURLWithPath: host.data_directory.map { String(cString: $0) } ?? ".")
        mode = host.replaying != 0 ? .replay : .live
    }

    var logger: Logger {
        let host = self.host
        return Logger(label: "plugin.\(pluginName)") { _ in HostLogHandler(host: host) }
    }

    func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func publish(_ draft: EventDraft) async throws -> Event {
        let json = EventJSON.draftJSON(for: draft)
        let (seq, at) = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<(UInt64, Int64), any Error>) in
            let token = Unmanaged.passRetained(PublishedBox(continuation)).toOpaque()
            json.withUnsafeBytes { bytes in
                host.publish(
                    host.context, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count, token,
                    publishedDone)
            }
        }
        return Event(
            seq: seq, at: at, stream: draft.stream, type: draft.type, version: draft.version,
            source: draft.source, correlation: draft.correlation, payload: draft.payload)
    }

    /// The engine's party projection, through `read_projection` (the engine folds it through the current event).
    func parties(through seq: UInt64?) async -> [PartyView] {
        guard let read = host.read_projection else { return [] }
        let json: Data? = await withCheckedContinuation { (continuation: CheckedContinuation<Data?, Never>) in
            let token = Unmanaged.passRetained(ProjectionBox(continuation)).toOpaque()
            "parties".withCString { read(host.context, $0, strlen($0), token, projectionDone) }
        }
        guard let json else { return [] }
        return (try? JSONDecoder().decode([PartyView].self, from: json)) ?? []
    }

    func performSideEffect(_ description: String, _ effect: @Sendable () async throws -> Void) async throws {
        if mode == .replay {
            description.withCString { host.record_side_effect(host.context, $0, strlen($0)) }
        } else {
            try await effect()
        }
    }
}

/// Carries a projection read's continuation through the C token.
private final class ProjectionBox: @unchecked Sendable {
    let continuation: CheckedContinuation<Data?, Never>
    init(_ continuation: CheckedContinuation<Data?, Never>) { self.continuation = continuation }
}

private let projectionDone: pb_projection_done = { token, status, json, length in
    guard let token else { return }
    let box = Unmanaged<ProjectionBox>.fromOpaque(token).takeRetainedValue()
    guard status == 0, let json else {
        box.continuation.resume(returning: nil)
        return
    }
    box.continuation.resume(returning: Data(bytes: json, count: length))
}

/// Carries a publish continuation through the C token.
private final class PublishedBox: @unchecked Sendable {
    let continuation: CheckedContinuation<(UInt64, Int64), any Error>
    init(_ continuation: CheckedContinuation<(UInt64, Int64), any Error>) { self.continuation = continuation }
}

private let publishedDone: pb_published = { token, seq, at, error, length in
    guard let token else { return }
    let box = Unmanaged<PublishedBox>.fromOpaque(token).takeRetainedValue()
    if seq > 0 {
        box.continuation.resume(returning: (seq, at))
    } else {
        box.continuation.resume(throwing: PluginError(String(cBuffer: error, length: length)))
    }
}

/// Sends a dynamic plugin's log lines to the engine's logger.
private struct HostLogHandler: LogHandler, @unchecked Sendable {
    let host: pb_host
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let code: Int32 =
            switch event.level {
            case .trace, .debug: 0
            case .info, .notice: 1
            case .warning: 2
            case .error, .critical: 3
            }
        let text = "\(event.message)"
        text.withCString { host.log(host.context, code, $0, strlen($0)) }
    }
}
