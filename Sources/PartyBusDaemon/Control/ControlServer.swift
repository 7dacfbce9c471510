import Foundation
import Hummingbird
import Logging
import PartyBusCore
import ServiceLifecycle

/// The control API over HTTP: on the Unix socket `<data>/control.sock` (0600: the file mode is the access
/// control) and, when `api.listen` is set, on TCP (a bearer token required whenever one is configured). Every
/// request goes to `ControlAPI.handle`; answers are JSON, `/v1/events/stream` is `text/event-stream`.
public struct ControlServer: Service, CustomStringConvertible {
    public var description: String { "control API" }

    let context: DaemonContext
    let socketPath: String
    let settings: APISettings
    let logger: Logger

    /// A server for `context`.
    public init(context: DaemonContext, socketPath: String, settings: APISettings, logger: Logger) {
        self.context = context
        self.socketPath = socketPath
        self.settings = settings
        self.logger = logger
    }

    /// The control socket of a data folder.
    public static func socketPath(in folder: URL) -> String { folder.appendingPathComponent("control.sock").path }

    public func run() async throws {
        let tcp = try settings.tcpAddress()
        try? FileManager.default.removeItem(atPath: socketPath)
        defer { try? FileManager.default.removeItem(atPath: socketPath) }
        let socketPath = self.socketPath
        let unix = Application(
            responder: ControlResponder(context: context, token: nil, loopbackHostOnly: false, logger: logger),
            configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: "partybus"),
            onServerRunning: { _ in chmod(socketPath, 0o600) },
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // `run()`, not `runService()`: the latter installs its own SIGTERM handler, so on SIGTERM the server could
            // stop before the daemon's service group asked it to — "finished unexpectedly", and `up` exited 1
            // (found by FaultMatrix row 4). As a plain service it stops when the group's graceful shutdown says so.
            group.addTask { try await unix.run() }
            if let tcp {
                let logger = self.logger
                let app = Application(
                    responder: ControlResponder(
                        context: context, token: settings.token.map(BearerToken.init), loopbackHostOnly: settings.token == nil,
                        logger: logger),
                    configuration: .init(address: .hostname(tcp.host, port: tcp.port), serverName: "partybus"),
                    onServerRunning: { channel in
                        logger.notice("control API on http://\(settings.listen)\(settings.token == nil ? "" : " (bearer token required)")")
                    },
                    logger: logger)
                group.addTask { try await app.run() }
            }
            try await group.waitForAll()
        }
    }
}

/// Turns Hummingbird requests into `ControlRequest`s and answers them.
struct ControlResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let context: DaemonContext
    /// Required on every request when set (the TCP listener).
    let token: BearerToken?
    /// Answer only requests whose `Host` is a loopback name (the TCP listener without a token): a web page whose
    /// own name an attacker re-pointed at 127.0.0.1 (DNS rebinding) sends that name as `Host`, and its `Origin`
    /// matches it, so only the `Host` tells it apart.
    let loopbackHostOnly: Bool
    let logger: Logger

    /// Largest request body accepted.
    static let maxBody = 1 << 20

    func respond(to request: Request, context requestContext: BasicRequestContext) async throws -> Response {
        if loopbackHostOnly, !Self.isLoopbackAuthority(request.head.authority) {
            return Self.response(.error(403, "requests to this listener must name a loopback host (Host \(request.head.authority?.prefix(100) ?? "missing"))"))
        }
        // The web UI's files hold no secret: served without the token (the page asks for it to call the API).
        let webUI = request.method == .get && WebUI.isUIPath(request.uri.path)
        if let token, !webUI, !Self.authorized(
            token, authorization: request.headers[.authorization], method: request.method.rawValue, path: request.uri.path,
            accessTokens: request.uri.queryParameters[values: "access_token"].map(String.init))
        {
            var response = Self.response(.error(401, "a bearer token is required (Authorization: Bearer …)"))
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        if let origin = request.headers[.origin], !Self.sameOrigin(origin, host: request.head.authority) {
            // A page from another site must not drive the daemon through the user's browser (CSRF, DNS rebinding).
            return Self.response(.error(403, "cross-origin request refused (Origin \(origin.prefix(100)))"))
        }
        if webUI { return WebUI.shared.response(for: request.uri.path) }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maxBody)
        } catch {
            return Self.response(.error(413, "request body larger than \(Self.maxBody) bytes"))
        }
        var query: [String: [String]] = [:]
        for (key, value) in request.uri.queryParameters where key != "access_token" {
            // Hummingbird has percent-decoded the value already: decoding again would turn `%2541` into `A`.
            query[String(key), default: []].append(String(value))
        }
        let control = ControlRequest(
            method: request.method.rawValue, path: request.uri.path, query: query, body: Data(body.readableBytesView))
        let answer = await ControlAPI.handle(control, context: context)
        if answer.status >= 500 { logger.warning("control: \(control.method) \(control.path) → \(answer.status)") }
        guard let stream = answer.stream else { return Self.response(answer) }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                // The producer writes into a bounded buffer; a client too slow to keep up is cut off (it resumes
                // from the last `id` it saw) instead of the daemon holding an unbounded backlog for it.
                let (chunks, continuation) = AsyncStream<Data>.makeStream(bufferingPolicy: .bufferingOldest(64))
                let producer = Task {
                    defer { continuation.finish() }
                    try? await cancelWhenGracefulShutdown {
                        try await stream { data in
                            if case .dropped = continuation.yield(data) { throw CancellationError() }
                        }
                    }
                }
                defer { producer.cancel() }
                for await chunk in chunks { try await writer.write(ByteBuffer(bytes: chunk)) }
                try await writer.finish(nil)
            })
    }

    /// True when the request carries the token: `Authorization: Bearer …`, or — only for `GET /v1/events/stream`,
    /// because a browser's `EventSource` cannot send headers — exactly one `?access_token=…`. Constant-time compared.
    static func authorized(
        _ token: BearerToken, authorization: String?, method: String, path: String, accessTokens: [String]
    ) -> Bool {
        if token.accepts(authorization: authorization) { return true }
        guard method == "GET", path == "/v1/events/stream", accessTokens.count == 1 else { return false }
        return token.accepts(token: accessTokens[0])
    }

    /// True when `authority` (`host[:port]`, `[v6][:port]`) names a loopback host: 127.0.0.0/8, ::1 or localhost.
    static func isLoopbackAuthority(_ authority: String?) -> Bool {
        guard var host = authority?.lowercased(), !host.isEmpty else { return false }
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let rest = host[host.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isNumber)) else { return false }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            guard host[host.index(after: colon)...].allSatisfy(\.isNumber) else { return false }
            host = String(host[..<colon])
            guard !host.contains(":") else { return false }  // an IPv6 Host is written in brackets
        }
        return APISettings.isLoopbackLiteral(host)
    }

    /// True when `origin` (`scheme://host[:port]`) names the host the request was sent to.
    static func sameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host, let url = URL(string: origin), let originHost = url.host else { return false }
        let bracketed = originHost.contains(":") && !originHost.hasPrefix("[") ? "[\(originHost)]" : originHost
        let originAuthority = url.port.map { "\(bracketed):\($0)" } ?? bracketed
        return originAuthority.lowercased() == host.lowercased()
    }

    static func response(_ answer: ControlResponse) -> Response {
        Response(
            status: .init(code: answer.status), headers: [.contentType: answer.contentType],
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
