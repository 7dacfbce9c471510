import CWebsockets
import Foundation
import Synchronization

/// What a WebSocket connection reports, in the order it happened.
enum WebSocketEvent: Sendable, Equatable {
    /// The upgrade succeeded.
    case established
    /// Complete text messages, in arrival order (all those one service pass received).
    case texts([String])
    /// A pong (or any control frame that proves the peer is alive).
    case pong
    /// The connection is gone: the close code the peer sent (may be invalid, e.g. 65535) and why.
    case closed(code: Int?, reason: String)
}

/// One client WebSocket over libwebsockets, serviced by its own thread. Callbacks arrive on that thread and are
/// handed on through an `AsyncStream` in callback order; sends are queued and written when lws says it can.
final class WebSocketConnection: @unchecked Sendable {
    struct Target: Sendable {
        var host: String
        var port: Int
        var path: String
        var tls: Bool
        var caFile: String?
        var subprotocol: String
        var origin: String
        /// Extra handshake headers (values may be secrets: never logged).
        var headers: [(name: String, value: String)]
    }

    private enum Outgoing {
        case text(Data)
        case ping
    }

    private struct State {
        var outbox: [Outgoing] = []
        var closeRequested = false
        var finished = false
        var closeCode: Int?
        var reported = false
    }

    /// What happened, in order; `next()` hands over everything pending.
    let events = BatchQueue<WebSocketEvent>()
    private let target: Target
    private let state = Mutex(State())
    private let pre = pb_lws_pre()
    // Touched only by the service thread.
    private var context: OpaquePointer?
    private var wsi: OpaquePointer?
    private var established = false
    private var receiving = Data()
    /// The longest message reassembled from fragments; a longer one ends the connection (close code 1009) instead
    /// of growing a buffer without bound. PSN's push messages are a few KiB.
    static let maxMessageBytes = 1 << 20
    private var received: [String] = []
    private let protocols = UnsafeMutablePointer<lws_protocols>.allocate(capacity: 2)
    private var cStrings: [UnsafeMutablePointer<CChar>] = []

    init(target: Target) {
        self.target = target
    }

    deinit {
        protocols.deallocate()
        cStrings.forEach { free($0) }
    }

    private struct Ending {
        var ended = false
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    }

    private let ending = Mutex(Ending())

    /// Waits until the service thread has destroyed its context and returned (after `close()` or the end of the
    /// connection), at most `limit`; true when it has. Nothing of libwebsockets or OpenSSL may still run on that
    /// thread when the process exits, or exit-time cleanup pulls the library out from under it.
    func waitUntilEnded(atMost limit: Duration) async -> Bool {
        await withCheckedContinuation { continuation in
            let id = ending.withLock { ending -> Int? in
                if ending.ended { return nil }
                ending.nextWaiter += 1
                ending.waiters[ending.nextWaiter] = continuation
                return ending.nextWaiter
            }
            guard let id else { return continuation.resume(returning: true) }
            let (seconds, attoseconds) = limit.components
            let deadline = DispatchTime.now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
            DispatchQueue.global().asyncAfter(deadline: deadline) { [self] in
                ending.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: false)
            }
        }
    }

    private func markEnded() {
        let waiters = ending.withLock { ending in
            ending.ended = true
            defer { ending.waiters.removeAll() }
            return Array(ending.waiters.values)
        }
        waiters.forEach { $0.resume(returning: true) }
    }

    /// Starts connecting on the service thread.
    func start() {
        let thread = Thread { [self] in serve() }
        thread.name = "partybus.push.ws"
        thread.start()
    }

    /// Queues a text frame.
    func send(text: String) { enqueue(.text(Data(text.utf8))) }

    /// Queues a ping.
    func ping() { enqueue(.ping) }

    /// Closes (normal closure) and ends the service thread.
    func close() {
        let context = state.withLock { state -> Bool in
            state.closeRequested = true
            return !state.finished
        }
        if context { wake() }
    }

    private func enqueue(_ item: Outgoing) {
        let alive = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            state.outbox.append(item)
            return true
        }
        if alive { wake() }
    }

    /// The live context's address (0: none), so other threads can wake the service loop.
    private let contextAddress = Mutex<UInt>(0)

    private func wake() {
        contextAddress.withLock { address in
            if let context = OpaquePointer(bitPattern: address) { lws_cancel_service(context) }
        }
    }

    private func cString(_ text: String) -> UnsafeMutablePointer<CChar> {
        let pointer = strdup(text)!
        cStrings.append(pointer)
        return pointer
    }

    /// libwebsockets logs notices to stderr by default; keep only its warnings and errors.
    private static let quietLogs: Void = { lws_set_log_level(Int32(LLL_ERR) | Int32(LLL_WARN), nil) }()

    private func serve() {
        defer { markEnded() }
        _ = WebSocketConnection.quietLogs
        let user = Unmanaged.passUnretained(self).toOpaque()
        let created = pb_lws_create_client_context(
            protocols, cString(target.subprotocol), webSocketCallback, user, target.caFile.map { cString($0) })
        guard let created else {
            finish(code: nil, reason: "cannot create the libwebsockets context")
            return
        }
        context = created
        let address = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(created)))
        contextAddress.withLock { $0 = address }
        let hostHeader = (target.port == 443 && target.tls) || (target.port == 80 && !target.tls)
            ? target.host : "\(target.host):\(target.port)"
        wsi = pb_lws_connect(
            created, cString(target.host), Int32(target.port), cString(target.path), cString(hostHeader),
            cString(target.origin), cString(target.subprotocol), target.tls ? 1 : 0)
        if wsi == nil {
            finish(code: nil, reason: "cannot start connecting to \(target.host):\(target.port)")
        }
        while !state.withLock({ $0.finished }) {
            // A close asked for before the upgrade completed: there is no frame to send, just stop.
            if !established && state.withLock({ $0.closeRequested }) {
                finish(code: nil, reason: "closed by us")
                break
            }
            lws_service(created, 0)
            flushReceived()
        }
        flushReceived()
        contextAddress.withLock { $0 = 0 }
        lws_context_destroy(created)
        context = nil
    }

    /// Hands on the messages of one service pass as one batch.
    private func flushReceived() {
        guard !received.isEmpty else { return }
        events.push(.texts(received))
        received.removeAll(keepingCapacity: true)
    }

    /// Reports the end once and stops the loop.
    fileprivate func finish(code: Int?, reason: String) {
        flushReceived()
        let first = state.withLock { state -> Bool in
            defer {
                state.finished = true
                state.reported = true
            }
            return !state.reported
        }
        if first {
            events.push(.closed(code: code ?? state.withLock { $0.closeCode }, reason: reason))
            events.finish()
        }
    }

    fileprivate func handle(
        _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ input: UnsafeMutableRawPointer?, _ length: Int
    ) -> Int32 {
        switch reason {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            for (name, value) in target.headers {
                if pb_lws_append_header(wsi, input, length, name + ":", value) != 0 { return -1 }
            }
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            established = true
            events.push(.established)
            lws_callback_on_writable(wsi)
        case LWS_CALLBACK_CLIENT_RECEIVE:
            if receiving.count + length > Self.maxMessageBytes {
                receiving.removeAll()
                flushReceived()
                PSNMetrics.pushMessageOversized()
                self.wsi = nil
                finish(code: 1009, reason: "a push message exceeded \(Self.maxMessageBytes) bytes")
                return -1
            }
            if let input, length > 0 { receiving.append(input.assumingMemoryBound(to: UInt8.self), count: length) }
            if lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0 {
                received.append(String(decoding: receiving, as: UTF8.self))
                receiving.removeAll(keepingCapacity: true)
            }
        case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
            events.push(.pong)
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            let code = Int(pb_lws_close_code(input, length))
            state.withLock { $0.closeCode = code >= 0 ? code : nil }
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            if established, let connection = self.wsi, state.withLock({ !$0.outbox.isEmpty || $0.closeRequested }) {
                lws_callback_on_writable(connection)
            }
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            return writePending(wsi)
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            let detail = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "connection error"
            self.wsi = nil
            finish(code: nil, reason: detail)
        case LWS_CALLBACK_CLIENT_CLOSED:
            self.wsi = nil
            let requested = state.withLock { $0.closeRequested }
            finish(code: nil, reason: requested ? "closed by us" : "closed by the server")
        default:
            break
        }
        return 0
    }

    /// Writes one queued frame per writable callback (lws's rule), asking for another callback while more wait.
    private func writePending(_ wsi: OpaquePointer?) -> Int32 {
        let (item, more, closing) = state.withLock { state -> (Outgoing?, Bool, Bool) in
            if state.closeRequested { return (nil, false, true) }
            let item = state.outbox.isEmpty ? nil : state.outbox.removeFirst()
            return (item, !state.outbox.isEmpty, false)
        }
        if closing {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nil, 0)
            return -1
        }
        guard let item else { return 0 }
        let payload: Data
        let protocolKind: lws_write_protocol
        switch item {
        case .text(let data):
            payload = data
            protocolKind = LWS_WRITE_TEXT
        case .ping:
            payload = Data()
            protocolKind = LWS_WRITE_PING
        }
        var buffer = [UInt8](repeating: 0, count: pre + payload.count)
        buffer.replaceSubrange(pre..<pre + payload.count, with: payload)
        let written = buffer.withUnsafeMutableBytes { bytes in
            lws_write(wsi, bytes.baseAddress!.advanced(by: pre).assumingMemoryBound(to: UInt8.self), payload.count, protocolKind)
        }
        if written < payload.count { return -1 }
        if more { lws_callback_on_writable(wsi) }
        return 0
    }
}

/// The protocol callback: a global function (lws calls it on the service thread); the connection object is the
/// context's user pointer.
private func webSocketCallback(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ length: Int
) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else { return 0 }
    let connection = Unmanaged<WebSocketConnection>.fromOpaque(owner).takeUnretainedValue()
    return connection.handle(wsi, reason, input, length)
}
