import Foundation
@testable import PSN
import PartyBusCore
import PartyBusTestSupport
import Synchronization
import Testing

@Suite("Plain http/ws only to real loopback")
struct LoopbackTests {
    func settings(_ base: String) -> PSNSettings {
        var settings = PSNSettings.defaults
        settings.urls = .allOn(base)
        settings.allowInsecureLoopback = true
        return settings
    }

    @Test("127.0.0.0/8 literals, ::1 and localhost are loopback; look-alike names are not")
    func isLoopback() {
        for host in ["127.0.0.1", "127.1.2.3", "127.255.255.255", "::1", "[::1]", "0:0:0:0:0:0:0:1", "localhost", "LOCALHOST"] {
            #expect(PSNSettings.isLoopback(host), "\(host)")
        }
        for host in ["127.attacker.example", "127.0.0.1.attacker.example", "127.0.0.1.", "127.1", "0177.0.0.1",
                     "127.000.0.1", "128.0.0.1", "10.0.0.1", "::2", "::ffff:127.0.0.1", "[::1", "localhost.",
                     "localhost.attacker.example", "attacker.localhost", "", "127.0.0.1:80", "127.0.0.1/x"] {
            #expect(!PSNSettings.isLoopback(host), "\(host)")
        }
    }

    @Test("validateURLs refuses http to 127.attacker.example and accepts 127.0.0.1, [::1] and localhost")
    func validateURLs() throws {
        #expect(throws: PSNError.self) { try settings("http://127.attacker.example").validateURLs() }
        #expect(throws: PSNError.self) { try settings("http://127.0.0.1.attacker.example:8080").validateURLs() }
        #expect(throws: PSNError.self) { try settings("http://127.0.0.1@attacker.example").validateURLs() }
        try settings("http://127.0.0.1:8080").validateURLs()
        try settings("http://[::1]:1").validateURLs()
        try settings("http://localhost").validateURLs()
        var off = settings("http://127.0.0.1:8080")
        off.allowInsecureLoopback = false
        #expect(throws: PSNError.self) { try off.validateURLs() }
        do {
            try settings("http://127.attacker.example").validateURLs()
        } catch {
            #expect("\(error)".contains("loopback"))
        }
    }

    @Test("serveraddr's fqdn is read as host[:port] or [v6][:port], nothing else")
    func pushHostParsing() throws {
        #expect(try PushHost.parse("127.0.0.1:8080") == ("127.0.0.1", 8080))
        #expect(try PushHost.parse("1-2-3-4-pushcl.np.communication.playstation.net") == ("1-2-3-4-pushcl.np.communication.playstation.net", nil))
        #expect(try PushHost.parse("[::1]:9") == ("::1", 9))
        for bad in ["", ":80", "a:b:c", "host:0", "host:99999", "host:+80", "evil.example/path", "user@127.0.0.1",
                    "127.0.0.1 evil", "[::1", "[nothost]:1", "hóst"] {
            #expect(throws: PSNError.self, "\(bad)") { _ = try PushHost.parse(bad) }
        }
    }

    @Test("a serveraddr answering a non-loopback fqdn over plain ws is refused and never connected to")
    func pushRefusesForeignHost() async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"))
        let projection = LiveProjection<PartyProjection>(log: log)
        let folding = Task { try? await projection.run() }
        defer { folding.cancel() }
        let settings = settings("http://127.0.0.1:9")
        let http = ServerAddrStub(fqdn: "127.attacker.example:80")
        let store = TokenStore(dataDirectory: dir.url)
        try store.save(TestTokens.valid(accountId: "1234567890123456789"))
        let memory = MemoryLog()
        let tokens = TokenManager(
            oauth: OAuthClient(settings: settings, duid: "00", http: http, logger: memory.logger()), store: store,
            publish: { _ in }, logger: memory.logger())
        var backoff = PushClient.Backoff()
        backoff.initial = .milliseconds(50)
        backoff.cap = .milliseconds(100)
        let push = PushClient(
            settings: settings, http: http, tokens: tokens, log: log, parties: projection, source: .sim,
            logger: memory.logger(), backoff: backoff, reread: {})
        let running = Task { await push.run() }
        defer { running.cancel() }
        #expect(try await eventually { try log.read(filter: EventFilter(types: ["push.disconnected"])).count >= 2 })
        running.cancel()
        let reasons = try log.read(filter: EventFilter(types: ["push.disconnected"])).map { try $0.decode(PushDisconnected.self).reason }
        #expect(reasons.allSatisfy { $0.contains("127.attacker.example") && $0.contains("not connecting") })
        #expect(push.connectionCount == 0, "no WebSocket was ever made")
        #expect(try log.read(filter: EventFilter(types: ["push.connected"])).isEmpty)
        #expect(http.urls.allSatisfy { $0.contains("/np/serveraddr") })
    }
}

/// Answers every request with a serveraddr body naming `fqdn`, and records the URLs asked for.
final class ServerAddrStub: HTTPSending {
    let fqdn: String
    private let asked = Mutex<[String]>([])

    init(fqdn: String) { self.fqdn = fqdn }

    var urls: [String] { asked.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        asked.withLock { $0.append(request.url) }
        let body = try JSONSerialization.data(withJSONObject: [
            "fqdn": fqdn, "keepAliveStatus": ["clientKeepAliveInterval": 60_000],
        ])
        return HTTPResponse(status: 200, headers: [("content-type", "application/json")], body: body)
    }
}

/// Token sets for tests that do not sign in against the simulator.
enum TestTokens {
    /// An unsigned JWT with the given claims (A.7 shape; clients never verify the signature).
    static func jwt(_ claims: [String: Any]) -> String {
        func encode(_ object: Any) -> String {
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        return encode(["kid": "test", "alg": "none"]) + "." + encode(claims) + ".sig"
    }

    /// Tokens valid for an hour, the refresh token for `refreshDays` days from `now`.
    static func valid(accountId: String, now: Date = Date(), refreshDays: Double = 60) -> TokenSet {
        TokenSet(
            accessToken: Secret(jwt(["account_id": accountId, "exp": Int(now.timeIntervalSince1970) + 3600])),
            refreshToken: Secret("refresh-\(UUID().uuidString)"), expiresAt: now.addingTimeInterval(3600),
            refreshExpiresAt: now.addingTimeInterval(refreshDays * 86_400), accountId: accountId,
            scope: "psn:mobile.v2.core psn:clientapp")
    }
}
