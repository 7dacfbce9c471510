import CPartyBusShims
import Foundation
import Logging
import PartyBusPluginAPI
import Synchronization

/// One instance of a dynamic plugin, driven through its C table; implements `Plugin` for the host.
final class DynamicPluginInstance: Plugin, @unchecked Sendable {
    private let library: DynamicPluginLibrary
    private let handle: UnsafeMutableRawPointer
    private let host: UnsafeMutablePointer<pb_host>
    private let bridge: HostBridge

    private init(
        library: DynamicPluginLibrary, handle: UnsafeMutableRawPointer, host: UnsafeMutablePointer<pb_host>,
        bridge: HostBridge
    ) {
        self.library = library
        self.handle = handle
        self.host = host
        self.bridge = bridge
    }

    static func create(
        library: DynamicPluginLibrary, context: any PluginContext, options: JSONValue
    ) async throws -> DynamicPluginInstance {
        let bridge = HostBridge(context: context)
        let host = UnsafeMutablePointer<pb_host>.allocate(capacity: 1)
        host.initialize(
            to: pb_host(
                context: Unmanaged.passRetained(bridge).toOpaque(), publish: hostPublish, log: hostLog,
                record_side_effect: hostRecordSideEffect,
                data_directory: UnsafePointer(strdup(context.dataDirectory.path)),
                plugin_name: UnsafePointer(strdup(context.pluginName)), replaying: context.mode == .replay ? 1 : 0,
                read_projection: hostReadProjection))
        let optionsJSON = try JSONEncoder().encode(options)
        let table = library.plugin
        let hostPointer = UnsafeSendablePointer(UnsafeMutableRawPointer(host))
        do {
            let instance = try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<UnsafeSendablePointer, any Error>) in
                let token = Unmanaged.passRetained(CreatedBox(continuation)).toOpaque()
                optionsJSON.withUnsafeBytes { bytes in
                    table.pointee.create(
                        UnsafePointer(hostPointer.raw!.assumingMemoryBound(to: pb_host.self)),
                        bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count, token, createdDone)
                }
            }
            return DynamicPluginInstance(library: library, handle: instance.raw!, host: host, bridge: bridge)
        } catch {
            release(host)
            throw PluginError("\(library.path): plugin '\(library.name)' failed to start: \(error)")
        }
    }

    func handle(_ event: Event) async throws {
        let line = EventJSON.line(for: event)
        let table = library.plugin
        let instance = UnsafeSendablePointer(handle)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let token = Unmanaged.passRetained(StatusBox(continuation)).toOpaque()
            line.withUnsafeBytes { bytes in
                table.pointee.handle(
                    instance.raw, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count, token,
                    statusDone)
            }
        }
    }

    func stop() async {
        let table = library.plugin
        let instance = UnsafeSendablePointer(handle)
        try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let token = Unmanaged.passRetained(StatusBox(continuation)).toOpaque()
            table.pointee.stop(instance.raw, token, statusDone)
        }
        await bridge.drain()
        DynamicPluginInstance.release(host)
    }

    private static func release(_ host: UnsafeMutablePointer<pb_host>) {
        Unmanaged<HostBridge>.fromOpaque(host.pointee.context).release()
        free(UnsafeMutableRawPointer(mutating: host.pointee.data_directory))
        free(UnsafeMutableRawPointer(mutating: host.pointee.plugin_name))
        host.deallocate()
    }
}

/// The engine side of a `pb_host`: publishes drafts in call order and forwards log lines.
final class HostBridge: Sendable {
    enum Operation: Sendable {
        case publish(Data, UnsafeSendablePointer, pb_published)
        case sideEffect(String)
    }

    let context: any PluginContext
    /// Operations a plugin may have submitted and not yet seen done; one more publish is refused (the plugin gets
    /// the error), one more side-effect note is dropped and counted.
    static let maxPending = 4096
    private let operations: AsyncStream<Operation>.Continuation
    private let worker: Task<Void, Never>
    private let pending: OperationCount
    private let refusedCount = Atomic<Int>(0)

    init(context: any PluginContext) {
        self.context = context
        let (stream, continuation) = AsyncStream<Operation>.makeStream()
        operations = continuation
        let pending = OperationCount()
        self.pending = pending
        worker = Task {
            for await operation in stream {
                defer { pending.value.subtract(1, ordering: .relaxed) }
                switch operation {
                case .publish(let json, let token, let done):
                    do {
                        let draft = try EventJSON.draft(
                            fromJSON: json, defaultStream: "plugin/\(context.pluginName)", source: .live)
                        let event = try await context.publish(draft)
                        done(token.raw, event.seq, event.at, nil, 0)
                    } catch {
                        let message = "publish refused: \(error)"
                        context.logger.warning("\(message)")
                        message.withCString { done(token.raw, 0, 0, $0, strlen($0)) }
                    }
                case .sideEffect(let description):
                    try? await context.performSideEffect(description) {}
                }
            }
        }
    }

    /// Queues an operation; past `maxPending` waiting ones it is refused instead (a publish gets an error back).
    func submit(_ operation: Operation) {
        guard pending.value.add(1, ordering: .relaxed).newValue <= Self.maxPending else {
            pending.value.subtract(1, ordering: .relaxed)
            let refused = refusedCount.add(1, ordering: .relaxed).newValue
            let message = "publish refused: more than \(Self.maxPending) operations of this plugin are waiting"
            if refused == 1 || refused % 1000 == 0 {
                context.logger.warning("plugin \(context.pluginName): \(message) (\(refused) refused so far)")
            }
            if case .publish(_, let token, let done) = operation {
                message.withCString { done(token.raw, 0, 0, $0, strlen($0)) }
            }
            return
        }
        operations.yield(operation)
    }

    /// Operations refused because too many were waiting.
    var refused: Int { refusedCount.load(ordering: .relaxed) }

    /// Waits until every submitted operation is done.
    func drain() async {
        operations.finish()
        await worker.value
    }
}

/// Operations submitted and not yet done.
private final class OperationCount: Sendable {
    let value = Atomic<Int>(0)
}

private final class StatusBox: @unchecked Sendable {
    let continuation: CheckedContinuation<Void, any Error>
    init(_ continuation: CheckedContinuation<Void, any Error>) { self.continuation = continuation }
}

private final class CreatedBox: @unchecked Sendable {
    let continuation: CheckedContinuation<UnsafeSendablePointer, any Error>
    init(_ continuation: CheckedContinuation<UnsafeSendablePointer, any Error>) { self.continuation = continuation }
}

private let statusDone: pb_completion = { token, status, error, length in
    guard let token else { return }
    let box = Unmanaged<StatusBox>.fromOpaque(token).takeRetainedValue()
    if status == 0 {
        box.continuation.resume()
    } else {
        box.continuation.resume(throwing: PluginError(String(cBuffer: error, length: length)))
    }
}

private let createdDone: pb_created = { token, instance, error, length in
    guard let token else { return }
    let box = Unmanaged<CreatedBox>.fromOpaque(token).takeRetainedValue()
    if let instance {
        box.continuation.resume(returning: UnsafeSendablePointer(instance))
    } else {
        box.continuation.resume(throwing: PluginError(String(cBuffer: error, length: length)))
    }
}

private let hostPublish: @convention(c) (
    UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, UnsafeMutableRawPointer?, pb_published?
) -> Void = { context, json, length, token, done in
    guard let context, let done else { return }
    let bridge = Unmanaged<HostBridge>.fromOpaque(context).takeUnretainedValue()
    let data = json.map { Data(bytes: $0, count: length) } ?? Data()
    bridge.submit(.publish(data, UnsafeSendablePointer(token), done))
}

private let hostLog: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, Int) -> Void = {
    context, level, message, length in
    guard let context else { return }
    let bridge = Unmanaged<HostBridge>.fromOpaque(context).takeUnretainedValue()
    let text = String(cBuffer: message, length: length)
    let logLevel: Logger.Level =
        switch level {
        case 0: .debug
        case 1: .info
        case 2: .warning
        default: .error
        }
    bridge.context.logger.log(level: logLevel, "\(text)")
}

private let hostRecordSideEffect: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int) -> Void = {
    context, description, length in
    guard let context else { return }
    let bridge = Unmanaged<HostBridge>.fromOpaque(context).takeUnretainedValue()
    bridge.submit(.sideEffect(String(cBuffer: description, length: length)))
}

private let hostReadProjection: @convention(c) (
    UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, UnsafeMutableRawPointer?, pb_projection_done?
) -> Void = { context, name, length, token, done in
    guard let context, let done else { return }
    let bridge = Unmanaged<HostBridge>.fromOpaque(context).takeUnretainedValue()
    let projection = String(cBuffer: name, length: length)
    let token = UnsafeSendablePointer(token)
    guard projection == "parties" else {
        "no projection '\(projection)' (known: parties)".withCString { done(token.raw, 1, $0, strlen($0)) }
        return
    }
    Task {
        let parties = await bridge.context.parties()
        let json = (try? EventJSON.encodeArray(parties)) ?? Data("[]".utf8)
        json.withUnsafeBytes { bytes in
            done(token.raw, 0, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
    }
}
