import Foundation
public import Logging
public import PartyBusCore
import Synchronization

/// The push channel (E): one WebSocket for the engine's whole life. Gets the server address, connects, sends the
/// 1003 auth frame, pings every keep-alive interval, declares the connection dead after two intervals without
/// inbound traffic, and reconnects with capped backoff and a fresh server address; after every connection (the
/// first too) it re-reads party state.
/// Every frame is appended raw and translated into `party.*` events, in arrival order.
public final class PushClient: Sendable {
    /// Reconnect timing (E.9: 1 s, 2 s, 4 s … capped at 60 s).
    public struct Backoff: Sendable {
        /// First delay.
        public var initial: Duration = .seconds(1)
        /// Longest delay.
        public var cap: Duration = .seconds(60)
        /// Defaults.
        public init() {}
    }

    private let settings: PSNSettings
    private let http: any HTTPSending
    private let tokens: TokenManager
    private let log: EventLog
    private let parties: LiveProjection<PartyProjection>
    private let source: EventSource
    private let logger: Logger
    private let backoff: Backoff
    private let reread: @Sendable () async -> Void
    private let ingests: IngestGate
    private let connections = Mutex(0)

    /// A push client appending to `log`; `parties` is the engine's live party projection; `reread` re-reads
    /// party state after each connection (it runs beside the connection's frames and is cancelled with it);
    /// `ingests` counts the frame batches translated, for it.
    public init(
        settings: PSNSettings, http: any HTTPSending, tokens: TokenManager, log: EventLog,
        parties: LiveProjection<PartyProjection>, source: EventSource, logger: Logger, backoff: Backoff = Backoff(),
        ingests: IngestGate = IngestGate(), reread: @escaping @Sendable () async -> Void
    ) {
        self.settings = settings
        self.http = http
        self.tokens = tokens
        self.log = log
        self.parties = parties
        self.source = source
        self.logger = logger
        self.backoff = backoff
        self.reread = reread
        self.ingests = ingests
    }

    /// How many connections have been made.
    public var connectionCount: Int { connections.withLock { $0 } }

    /// Connects and reconnects until cancelled.
    public func run() async {
        var delay = backoff.initial
        while !Task.isCancelled {
            let outcome: (code: Int?, reason: String, wasUp: Bool)
            do {
                outcome = try await connectOnce()
            } catch is CancellationError {
                return
            } catch {
                outcome = (nil, "\(error)", false)
            }
            if Task.isCancelled { return }
            if outcome.wasUp { delay = backoff.initial }
            logger.warning("push: disconnected (\(outcome.reason)); reconnecting in \(delay)")
            _ = try? await log.append(
                EventDraft(
                    stream: "push",
                    payload: PushDisconnected(
                        reason: outcome.reason, closeCode: outcome.code,
                        retryInMs: Int64(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)),
                    source: source))
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, backoff.cap)
        }
    }

    /// E.1: the push host and keep-alive interval.
    func serverAddress() async throws -> (host: String, port: Int?, keepAlive: Duration) {
        let url = settings.urls.pushServerAddr + "?keepAliveStatusType=6&fields=keepAliveStatus&version=3.0"
        let token = try await tokens.accessToken()
        var response: HTTPResponse?
        for withBearer in [true, false] {
            var headers: [(name: String, value: String)] = [("User-Agent", settings.userAgent.core)]
            if withBearer { headers.append(("Authorization", "Bearer \(token.reveal())")) }
            do {
                let answer = try await http.send(HTTPRequest(method: .GET, url: url, headers: headers))
                response = answer
                if answer.status == 200 { break }
            } catch let error as HTTPTransportError {
                throw PSNError.transport(error.description)
            }
        }
        guard let response, response.status == 200 else {
            let parsed = ErrorBody.parse(response?.body ?? Data(), status: response?.status ?? 0)
            throw PSNError.http(
                status: response?.status ?? 0, code: parsed.code, message: parsed.message, referenceId: parsed.referenceId,
                endpoint: "serveraddr")
        }
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
            let fqdn = object["fqdn"] as? String, !fqdn.isEmpty
        else { throw PSNError.malformed(endpoint: "serveraddr", detail: "no fqdn") }
        // Read as a double and clamped (100 ms … 1 h) so no value the server sends can overflow.
        let stated = ((object["keepAliveStatus"] as? [String: Any])?["clientKeepAliveInterval"] as? NSNumber)?.doubleValue
        let interval = stated.flatMap { $0.isFinite ? min(max($0, 100), 3_600_000) : nil } ?? 60_000
        let (host, port) = try PushHost.parse(fqdn)
        return (host, port, .milliseconds(Int64(interval)))
    }

    /// One connection from serveraddr to close; returns how it ended.
    private func connectOnce() async throws -> (code: Int?, reason: String, wasUp: Bool) {
        let address = try await serverAddress()
        let tls = !settings.urls.pushServerAddr.lowercased().hasPrefix("http://")
        // Plain ws:// only to loopback, the same rule as every configured URL: serveraddr's answer is outside data.
        if !tls {
            try PushHost.checkInsecure(address.host, allowInsecureLoopback: settings.allowInsecureLoopback)
        }
        guard let tokenSet = try await tokens.currentTokens() else { throw PSNError.signInRequired("no tokens") }
        let accessToken = try await tokens.accessToken()
        let number = connections.withLock {
            $0 += 1
            return $0
        }
        let connection = WebSocketConnection(
            target: .init(
                host: address.host, port: address.port ?? (tls ? 443 : 80), path: "/np/pushNotification", tls: tls,
                caFile: settings.caFile.isEmpty ? nil : settings.caFile, subprotocol: "np-pushpacket",
                origin: "https://m.np.playstation.com",
                headers: [
                    ("X-PSN-APP-TYPE", "MOBILE_APP.PSAPP"), ("X-PSN-APP-VER", settings.appVersion), ("X-PSN-OS-VER", "14"),
                    ("X-PSN-PROTOCOL-VERSION", "3.0"), ("X-PSN-KEEP-ALIVE-STATUS-TYPE", "6"),
                    ("X-PSN-RECONNECTION", number > 1 ? "true" : "false"),
                    ("Authorization", "Bearer \(accessToken.reveal())"), ("User-Agent", settings.userAgent.core),
                ]))
        connection.start()
        let outcome: Result<(code: Int?, reason: String, wasUp: Bool), any Error>
        do {
            outcome = .success(
                try await follow(connection, number: number, address: address, tokenSet: tokenSet, accessToken: accessToken))
        } catch {
            outcome = .failure(error)
        }
        connection.close()
        if await !connection.waitUntilEnded(atMost: .seconds(5)) {
            logger.warning("push: the WebSocket thread did not end within 5 s of closing")
        }
        return try outcome.get()
    }

    /// Reads one connection's events until it closes: authenticates, keeps it alive, translates and appends frames.
    private func follow(
        _ connection: WebSocketConnection, number: Int, address: (host: String, port: Int?, keepAlive: Duration),
        tokenSet: TokenSet, accessToken: Secret
    ) async throws -> (code: Int?, reason: String, wasUp: Bool) {
        let lastInbound = Liveness()
        var wasUp = false
        return try await withThrowingTaskGroup(of: Void.self) { group in
            defer { group.cancelAll() }
            while let batch = await connection.events.next() {
                lastInbound.touch()
                // Frames that arrived together (also while the last batch was being committed) are translated in
                // order and appended in one transaction.
                var texts: [String] = []
                for event in batch {
                    if case .texts(let more) = event {
                        texts += more
                        continue
                    }
                    if !texts.isEmpty {
                        try await ingest(texts)
                        texts.removeAll()
                    }
                    switch event {
                    case .established:
                        wasUp = true
                        connection.send(text: try PushClient.authFrame(accountId: tokenSet.accountId, token: accessToken, tranId: number))
                        logger.info("push: connected to \(address.host) (connection \(number))")
                        if number > 1 { PSNMetrics.pushReconnected() }
                        try await append(
                            [try EventDraft(
                                stream: "push",
                                payload: PushConnected(
                                    host: address.host, connection: number,
                                    keepAliveMs: Int64(address.keepAlive.components.seconds * 1000
                                        + address.keepAlive.components.attoseconds / 1_000_000_000_000_000)),
                                source: source)])
                        group.addTask { [connection] in
                            // Keepalive (E.4): ping every interval; two intervals of silence mean the link is dead.
                            while !Task.isCancelled {
                                try await Task.sleep(for: address.keepAlive)
                                if ContinuousClock.now - lastInbound.last > address.keepAlive * 2 {
                                    connection.close()
                                    return
                                }
                                connection.ping()
                            }
                        }
                        // Every connection, the first of a run too: what happened while nobody listened is read.
                        group.addTask { [reread] in await reread() }
                    case .closed(let code, let reason):
                        let silent = ContinuousClock.now - lastInbound.last > address.keepAlive * 2
                        return (code, silent ? "no traffic for two keep-alive intervals" : reason
                            + (code.map { " (close code \($0))" } ?? ""), wasUp)
                    case .pong, .texts:
                        break
                    }
                }
                if !texts.isEmpty { try await ingest(texts) }
            }
            return (nil, "connection ended", wasUp)
        }
    }

    /// Translates frames against the projection plus what earlier frames of the same batch produced, and appends
    /// all their events in one transaction.
    private func ingest(_ texts: [String]) async throws {
        await ingests.acquire(counting: true)
        defer { ingests.release() }
        await parties.waitUntilFolded(log.head)
        var state = parties.current
        var drafts: [EventDraft] = []
        for text in texts {
            let made = PushTranslator().drafts(forFrame: text, state: state, source: source)
            for draft in made { state.apply(draft.provisionalEvent) }
            drafts += made
        }
        try await append(drafts)
    }

    private func append(_ drafts: [EventDraft]) async throws {
        if drafts.isEmpty { return }
        let appended = try await log.append(contentsOf: drafts)
        await parties.waitUntilFolded(appended.last!.seq)
    }

    /// E.3: the auth frame, with the account id written as its exact decimal digits (it may exceed 2^53).
    static func authFrame(accountId: String, token: Secret, tranId: Int) throws -> String {
        if let problem = AccountId.problem(accountId, field: "the signed-in account id") {
            throw PSNError.configuration("push auth frame: \(problem)")
        }
        var out = Data(#"{"version":"3.0","method":1003,"tranId":"#.utf8)
        EventJSON.appendQuoted(String(tranId), to: &out)
        out.append(contentsOf: #","accountId":\#(accountId),"status":"active","auth":{"accessToken":"#.utf8)
        EventJSON.appendQuoted(token.reveal(), to: &out)
        out.append(contentsOf: "}}".utf8)
        return String(decoding: out, as: UTF8.self)
    }
}

/// When the connection last heard from the server.
private final class Liveness: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    var last: ContinuousClock.Instant { instant.withLock { $0 } }
    func touch() { instant.withLock { $0 = .now } }
}
