import Foundation
import HTTPTypes
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import PSNSimulator
import Testing

/// Fixture accounts. A's id is above 2^53 (a Double would round it to …768).
enum Fixture {
    static let a = SimulatedAccount(accountId: "1234567890123456789", onlineId: "Alice_sim", npsso: String(repeating: "a", count: 64))
    static let b = SimulatedAccount(accountId: "1111111111111111111", onlineId: "Bob_sim", npsso: String(repeating: "b", count: 64))
    static let c = SimulatedAccount(accountId: "2222222222222222222", onlineId: "Carol_sim", npsso: String(repeating: "c", count: 64))
    static let clientId = "09515159-7237-4370-9b40-3806e67c0891"
    static let secret = "test-secret"
    static let redirect = "com.scee.psxandroid.scecompcall://redirect"
    static let customData4 = "WyIiLCIiLCIxIiwiMCIsIjYuMi4wIiwiMCIsIjAiLCIwIiwiIiwiIl0="
    static let customData4Patched = "WyIiLCJBZ0FBQUE9PSIsIjEiLCIwIiwiNi4yLjAiLCIwIiwiMCIsIjAiLCIiLCIiXQ=="

    static func configuration(_ edit: (inout SimulatorConfiguration) -> Void = { _ in }) -> SimulatorConfiguration {
        var config = SimulatorConfiguration(accounts: [a, b, c])
        config.clientSecret = secret
        edit(&config)
        return config
    }

    static var basic: String { "Basic " + Data("\(clientId):\(secret)".utf8).base64EncodedString() }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One HTTP exchange.
struct HTTPResult: Sendable {
    var status: Int
    var headers: HTTPFields
    var body: String
    var json: JSONValue? { try? JSONValue.parse(body) }
    func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
}

/// Talks to a running simulator over real loopback sockets.
struct SimClient: Sendable {
    let simulator: PSNSimulator
    let port: Int

    init(_ simulator: PSNSimulator) async throws {
        self.simulator = simulator
        self.port = try await simulator.waitUntilRunning()
    }

    func request(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String? = nil,
                 contentType: String = "application/json") async throws -> HTTPResult {
        var fields = headers
        var buffer: ByteBuffer?
        if let body {
            buffer = ByteBuffer(string: body)
            fields[.contentType] = contentType
            fields[.contentLength] = String(body.utf8.count)
        }
        let request = TestClient.Request(path, method: method, headers: fields, body: buffer)
        let response = try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            try await client.execute(request)
        }
        let text = response.body.map { String(buffer: $0) } ?? ""
        return HTTPResult(status: response.status.code, headers: response.head.headerFields, body: text)
    }

    func bearer(_ token: String) -> HTTPFields {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer \(token)"
        return fields
    }

    /// Runs the npsso → code flow and returns the `Location` query items.
    func authorize(npsso: String?, redirect: String = Fixture.redirect) async throws -> HTTPResult {
        var fields = HTTPFields()
        if let npsso { fields[.cookie] = "npsso=\(npsso); other=1" }
        let query = "access_type=offline&client_id=\(Fixture.clientId)&redirect_uri=\(redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&response_type=code&scope=psn%3Amobile.v2.core%20psn%3Aclientapp&cid=cid-1"
        return try await request(.get, "/api/authz/v3/oauth/authorize?\(query)", headers: fields)
    }

    static func queryItems(_ location: String) -> [String: String] {
        guard let q = location.split(separator: "?", maxSplits: 1).last else { return [:] }
        var out: [String: String] = [:]
        for pair in q.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            out[kv[0]] = kv.count > 1 ? (kv[1].removingPercentEncoding ?? kv[1]) : ""
        }
        return out
    }

    func tokenRequest(_ form: String, basic: String = Fixture.basic) async throws -> HTTPResult {
        var fields = HTTPFields()
        fields[.authorization] = basic
        return try await request(.post, "/api/authz/v3/oauth/token", headers: fields, body: form,
                                 contentType: "application/x-www-form-urlencoded")
    }

    /// npsso → code → token; returns (access, refresh).
    func signIn(_ account: SimulatedAccount) async throws -> (access: String, refresh: String) {
        let auth = try await authorize(npsso: account.npsso)
        guard auth.status == 302, let location = auth.header("Location"), let code = Self.queryItems(location)["code"]
        else { throw TestError("authorize failed: \(auth.status)") }
        let token = try await tokenRequest(
            "token_format=jwt&grant_type=authorization_code&redirect_uri=\(Fixture.redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&code=\(code)&cid=cid-1")
        guard token.status == 200, let json = token.json, let access = json["access_token"]?.stringValue,
            let refresh = json["refresh_token"]?.stringValue
        else { throw TestError("token failed: \(token.status) \(token.body)") }
        return (access, refresh)
    }

    func createParty(_ token: String, maxMembers: Int = 16) async throws -> String {
        let body = """
            {"v2PartySessions":[{"joinableUserType":"INVITE_ONLY","maxMembers":\(maxMembers),"members":[{"accountId":"me","customData4":"\(Fixture.customData4)","platform":"me","pushContexts":[{"contextId":"0d6a3a51-61d4-4c5c-9c8e-6b1f6c1c7a11"}],"voiceChatActivated":true}],"sessionName":"","sessionType":"ROOM","visibilityType":"INVITE_ONLY"}]}
            """
        let r = try await request(.post, "/api/sessionManager/v2/partySessions", headers: bearer(token), body: body)
        guard r.status == 201, let id = r.json?["v2PartySessions"]?.arrayValue?.first?["sessionId"]?.stringValue else {
            throw TestError("create failed: \(r.status) \(r.body)")
        }
        return id
    }

    func join(_ token: String, _ sessionId: String) async throws -> HTTPResult {
        let body = """
            {"members":[{"accountId":"me","customData4":"\(Fixture.customData4)","platform":"me","pushContexts":[{"contextId":"1d6a3a51-61d4-4c5c-9c8e-6b1f6c1c7a11"}],"voiceChatActivated":true}]}
            """
        return try await request(.post, "/api/sessionManager/v2/partySessions/\(sessionId)/members",
                                 headers: bearer(token), body: body)
    }

    func invite(_ token: String, _ sessionId: String, _ accountId: String) async throws -> HTTPResult {
        try await request(
            .post, "/api/sessionManager/v2/partySessions/\(sessionId)/invitations", headers: bearer(token),
            body: #"{"invitationType":"NORMAL","invitations":[{"to":{"accountId":"\#(accountId)"}}],"invitationsToGroups":[]}"#)
    }

    func leave(_ token: String, _ sessionId: String) async throws -> HTTPResult {
        try await request(.delete, "/api/sessionManager/v2/partySessions/\(sessionId)/members/me", headers: bearer(token))
    }

    func admin(_ path: String, _ body: String) async throws -> HTTPResult {
        try await request(.post, "/sim/admin/\(path)", body: body)
    }

    /// Opens a push socket and sends the 1003 frame with `accountIdLiteral` written as given (number digits or a
    /// quoted string).
    func push(token: String, accountIdLiteral: String, waitForAuth account: String? = nil) async throws -> PushClient {
        let frame = #"{"version":"3.0","method":1003,"tranId":"12","accountId":\#(accountIdLiteral),"status":"active","auth":{"accessToken":"\#(token)"}}"#
        let client = PushClient.connect(port: port, firstFrame: frame)
        if let account { try await waitForSockets(account, atLeast: 1) }
        return client
    }

    func push(_ account: SimulatedAccount, token: String) async throws -> PushClient {
        let before = simulator.authenticatedPushSockets(accountId: account.accountId)
        let client = try await push(token: token, accountIdLiteral: account.accountId)
        try await waitForSockets(account.accountId, atLeast: before + 1)
        return client
    }

    func waitForSockets(_ accountId: String, atLeast n: Int) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while simulator.authenticatedPushSockets(accountId: accountId) < n {
            guard ContinuousClock.now < deadline else { throw TestError("push socket never authenticated") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Received push frames, in order.
actor FrameInbox {
    private var frames: [String] = []
    private var finished = false
    private var waiter: CheckedContinuation<String?, Never>?

    func push(_ frame: String) {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: frame)
        } else {
            frames.append(frame)
        }
    }

    func finish() {
        finished = true
        waiter?.resume(returning: nil)
        waiter = nil
    }

    func cancelWait() {
        waiter?.resume(returning: nil)
        waiter = nil
    }

    func next() async -> String? {
        if !frames.isEmpty { return frames.removeFirst() }
        if finished { return nil }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { self.waiter = $0 }
        } onCancel: {
            Task { await self.cancelWait() }
        }
    }
}

/// A push WebSocket client built on HummingbirdWSClient.
final class PushClient: Sendable {
    let inbox: FrameInbox
    let closeTask: Task<WebSocketCloseFrame?, any Error>

    private init(inbox: FrameInbox, closeTask: Task<WebSocketCloseFrame?, any Error>) {
        self.inbox = inbox
        self.closeTask = closeTask
    }

    static func connect(port: Int, firstFrame: String?, pingEvery: Duration? = nil) -> PushClient {
        let inbox = FrameInbox()
        var headers = HTTPFields()
        headers[.secWebSocketProtocol] = "np-pushpacket"
        headers[HTTPField.Name("X-PSN-APP-TYPE")!] = "MOBILE_APP.PSAPP"
        headers[HTTPField.Name("X-PSN-PROTOCOL-VERSION")!] = "3.0"
        let task = Task { () throws -> WebSocketCloseFrame? in
            defer { Task { await inbox.finish() } }
            return try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/np/pushNotification",
                configuration: .init(
                    maxFrameSize: 1 << 20, additionalHeaders: headers, closeTimeout: .seconds(3),
                    autoPing: pingEvery.map { .enabled(timePeriod: $0) } ?? .disabled),
                logger: Logger(label: "push-test-client")
            ) { inbound, outbound, _ in
                if let firstFrame { try await outbound.write(.text(firstFrame)) }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { await inbox.push(text) }
                }
                await inbox.finish()
            }
        }
        return PushClient(inbox: inbox, closeTask: task)
    }

    /// Next frame as JSON, or nil on close / timeout.
    func next(timeout: Duration = .seconds(5)) async -> JSONValue? {
        let inbox = self.inbox
        return await withTaskGroup(of: String?.self) { group in
            group.addTask { await inbox.next() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first.flatMap { try? JSONValue.parse($0) }
        }
    }

    /// The next frame's dataType.
    func nextType(timeout: Duration = .seconds(5)) async -> String? {
        await next(timeout: timeout)?["dataType"]?.stringValue
    }

    /// Waits for the server's close frame (or connection end) and returns its code.
    func closeCode(timeout: Duration = .seconds(10)) async throws -> UInt16? {
        try await withThrowingTaskGroup(of: UInt16?.self) { group in
            let task = closeTask
            group.addTask {
                let frame = try await task.value
                return frame.map { UInt16(webSocketErrorCode: $0.closeCode) }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TestError("socket did not close in time")
            }
            let code = try await group.next() ?? nil
            group.cancelAll()
            return code
        }
    }

    func cancel() { closeTask.cancel() }
}

/// Starts a simulator for the duration of `body`.
func withSimulator(_ configuration: SimulatorConfiguration = Fixture.configuration(),
                   _ body: @Sendable (SimClient) async throws -> Void) async throws {
    var logger = Logger(label: "psn-simulator-test")
    logger.logLevel = .warning
    try await PSNSimulator.withRunning(configuration: configuration, logger: logger) { simulator in
        let client = try await SimClient(simulator)
        try await body(client)
    }
}

func decodeJWTClaims(_ token: String) -> JSONValue? {
    let parts = token.split(separator: ".")
    guard parts.count == 3 else { return nil }
    var s = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while s.count % 4 != 0 { s += "=" }
    guard let data = Data(base64Encoded: s) else { return nil }
    return try? JSONValue.parse(Array(data))
}
