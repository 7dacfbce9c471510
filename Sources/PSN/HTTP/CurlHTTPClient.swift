import CCurl
import Foundation
import Synchronization

/// HTTP over libcurl: one `curl_multi` handle driven by a dedicated thread, so many requests share connections
/// (keep-alive, one TLS handshake per host) and no Swift concurrency thread ever blocks on the network.
///
/// Redirects are never followed (the OAuth authorize step reads its `302` itself). TLS certificates are always
/// verified; `caFile` adds a CA bundle (tests use one for their own CA).
public final class CurlHTTPClient: HTTPSending, @unchecked Sendable {
    /// Client-wide settings.
    public struct Options: Sendable {
        /// A CA bundle (PEM) to trust instead of the system's, e.g. a test CA.
        public var caFile: String?
        /// Longest the TCP + TLS connect may take.
        public var connectTimeout: Duration = .seconds(10)
        /// The longest response body read; a longer one fails the call ("exceeded N bytes") instead of growing a
        /// buffer without bound. PSN's answers are a few KiB.
        public var maxResponseBytes = 8 << 20
        /// Keep at most this many idle connections.
        public var maxConnections = 16
        /// Connect to this Unix domain socket instead of the URL's host (the daemon's control socket).
        public var unixSocketPath: String?
        /// Defaults.
        public init(caFile: String? = nil, unixSocketPath: String? = nil) {
            self.caFile = caFile
            self.unixSocketPath = unixSocketPath
        }
    }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    private let loop: CurlLoop

    /// Starts the client's thread.
    public init(options: Options = Options()) {
        _ = CurlHTTPClient.globalInit
        loop = CurlLoop(options: options)
        // The thread holds the loop strongly (never this object): releasing the client can never race the thread.
        let thread = Thread { [loop] in loop.run() }
        thread.name = "partybus.http"
        thread.start()
    }

    deinit { loop.shutdown() }

    /// Fails what is in flight and stops the thread.
    public func shutdown() { loop.shutdown() }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await loop.send(request)
    }
}

/// The `curl_multi` handle and the loop its thread runs.
final class CurlLoop: @unchecked Sendable {
    private let options: CurlHTTPClient.Options
    private let multi: UnsafeMutableRawPointer
    private let state = Mutex(State())

    private struct State {
        var incoming: [CurlTransfer] = []
        var cancelled: [CurlTransfer] = []
        var closed = false
        var finished = false
    }

    init(options: CurlHTTPClient.Options) {
        self.options = options
        multi = curl_multi_init()
        _ = pb_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, options.maxConnections)
    }

    deinit { curl_multi_cleanup(multi) }

    /// Fails what is in flight and waits for the thread to end.
    func shutdown() {
        let alreadyClosed = state.withLock { state -> Bool in
            defer { state.closed = true }
            return state.closed
        }
        if alreadyClosed { return }
        curl_multi_wakeup(multi)
        while !state.withLock({ $0.finished }) { usleep(1000) }
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = CurlTransfer(request: request)
        transfer.maxBodyBytes = options.maxResponseBytes
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                transfer.continuation = continuation
                let accepted = state.withLock { state -> Bool in
                    guard !state.closed else { return false }
                    state.incoming.append(transfer)
                    return true
                }
                if accepted {
                    curl_multi_wakeup(multi)
                } else {
                    continuation.resume(
                        throwing: HTTPTransportError(code: -1, message: "HTTP client is shut down", url: request.redactedURL))
                }
            }
        } onCancel: {
            state.withLock { $0.cancelled.append(transfer) }
            curl_multi_wakeup(multi)
        }
    }

    // MARK: - The thread

    func run() {
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        var idle: [UnsafeMutableRawPointer] = []
        while true {
            let (incoming, cancelled, closed) = state.withLock { state in
                defer {
                    state.incoming.removeAll()
                    state.cancelled.removeAll()
                }
                return (state.incoming, state.cancelled, state.closed)
            }
            for transfer in incoming {
                let easy = idle.popLast() ?? curl_easy_init()!
                if let failure = transfer.configure(easy, options: options) {
                    transfer.finish(.failure(failure))
                    curl_easy_reset(easy)
                    idle.append(easy)
                    continue
                }
                active[easy] = transfer
                curl_multi_add_handle(multi, easy)
            }
            for transfer in cancelled {
                guard let (easy, _) = active.first(where: { $0.value === transfer }) else { continue }
                curl_multi_remove_handle(multi, easy)
                active[easy] = nil
                transfer.finish(.failure(CancellationError()))
                curl_easy_reset(easy)
                idle.append(easy)
            }
            if closed {
                for (easy, transfer) in active {
                    curl_multi_remove_handle(multi, easy)
                    transfer.finish(
                        .failure(HTTPTransportError(code: -1, message: "HTTP client shut down", url: transfer.request.redactedURL)))
                    curl_easy_cleanup(easy)
                }
                idle.forEach { curl_easy_cleanup($0) }
                state.withLock { $0.finished = true }
                return
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                    let transfer = active.removeValue(forKey: easy)
                else { continue }
                let result = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                transfer.complete(easy: easy, result: result)
                curl_easy_reset(easy)
                if idle.count < options.maxConnections { idle.append(easy) } else { curl_easy_cleanup(easy) }
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }
}

/// One request in flight: its buffers, its header list, its continuation.
final class CurlTransfer: @unchecked Sendable {
    let request: HTTPRequest
    var continuation: UnsafeContinuation<HTTPResponse, any Error>?
    private var body = Data()
    private var oversized = false
    var maxBodyBytes = 8 << 20
    private var headers: [(name: String, value: String)] = []
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))

    init(request: HTTPRequest) {
        self.request = request
        errorBuffer.initialize(to: 0)
    }

    deinit {
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Sets the easy handle up for this request; returns an error instead of starting when an option is refused.
    func configure(_ easy: UnsafeMutableRawPointer, options: CurlHTTPClient.Options) -> HTTPTransportError? {
        var codes: [CURLcode] = []
        codes.append(pb_curl_setopt_string(easy, CURLOPT_URL, request.url))
        codes.append(pb_curl_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        codes.append(pb_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        codes.append(pb_curl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
        codes.append(pb_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, CurlTimeout.milliseconds(request.timeout)))
        codes.append(pb_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, CurlTimeout.milliseconds(options.connectTimeout)))
        codes.append(pb_curl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1))
        codes.append(pb_curl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2))
        if let caFile = options.caFile { codes.append(pb_curl_setopt_string(easy, CURLOPT_CAINFO, caFile)) }
        if let socket = options.unixSocketPath { codes.append(pb_curl_setopt_string(easy, CURLOPT_UNIX_SOCKET_PATH, socket)) }
        codes.append(pb_curl_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "gzip"))
        codes.append(pb_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        let context = Unmanaged.passUnretained(self).toOpaque()
        codes.append(pb_curl_setopt_write_function(easy, curlWriteBody))
        codes.append(pb_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        codes.append(pb_curl_setopt_header_function(easy, curlWriteHeader))
        codes.append(pb_curl_setopt_pointer(easy, CURLOPT_HEADERDATA, context))
        for (name, value) in request.headers where name.lowercased() != "accept-encoding" {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        headerList = curl_slist_append(headerList, "Expect:")
        codes.append(pb_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))
        switch request.method {
        case .GET:
            codes.append(pb_curl_setopt_long(easy, CURLOPT_HTTPGET, 1))
        case .POST:
            codes.append(pb_curl_setopt_long(easy, CURLOPT_POST, 1))
        case .PUT, .PATCH, .DELETE:
            codes.append(pb_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue))
        }
        if let body = request.body {
            body.withUnsafeBytes { bytes in
                codes.append(pb_curl_setopt_copy_post_fields(easy, bytes.baseAddress ?? UnsafeRawPointer(errorBuffer), bytes.count))
            }
        } else if request.method == .POST {
            codes.append(pb_curl_setopt_copy_post_fields(easy, errorBuffer, 0))
        }
        if let failed = codes.first(where: { $0 != CURLE_OK }) {
            return HTTPTransportError(
                code: Int32(failed.rawValue), message: String(cString: curl_easy_strerror(failed)), url: request.redactedURL)
        }
        return nil
    }

    /// Appends to the body; false (and the call fails) once it would pass `maxResponseBytes`.
    func appendBody(_ pointer: UnsafeRawPointer, _ count: Int) -> Bool {
        guard body.count + count <= maxBodyBytes else {
            oversized = true
            return false
        }
        body.append(pointer.assumingMemoryBound(to: UInt8.self), count: count)
        return true
    }

    func appendHeaderLine(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            headers.removeAll()
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = trimmed[..<colon].lowercased()
        let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        headers.append((name, value))
    }

    func complete(easy: UnsafeMutableRawPointer, result: CURLcode) {
        if oversized {
            PSNMetrics.httpResponseOversized()
            finish(.failure(HTTPTransportError(
                code: Int32(CURLE_WRITE_ERROR.rawValue), message: "the response body exceeded \(maxBodyBytes) bytes",
                url: request.redactedURL)))
            return
        }
        guard result == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
            finish(.failure(HTTPTransportError(code: Int32(result.rawValue), message: message, url: request.redactedURL)))
            return
        }
        var status = 0
        _ = pb_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        finish(.success(HTTPResponse(status: status, headers: headers, body: body)))
    }

    func finish(_ result: Result<HTTPResponse, any Error>) {
        guard let continuation else { return }
        self.continuation = nil
        continuation.resume(with: result)
    }
}

private let curlWriteBody: pb_curl_data_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    // Returning less than was given makes curl stop the transfer (CURLE_WRITE_ERROR).
    return transfer.appendBody(data, size * count) ? size * count : 0
}

private let curlWriteHeader: pb_curl_data_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
    Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue().appendHeaderLine(line)
    return size * count
}
