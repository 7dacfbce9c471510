import Foundation
import HTTPTypes
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import PSNSimulator

/// A PSN client written against the wire only: HTTP calls and the push WebSocket on real loopback sockets, JSON via
/// Foundation (no simulator types beyond the running instance).
struct RawClient: Sendable {
    let port: Int
    var token = ""

    struct Reply: Sendable {
        var status: Int
        var body: String
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    func request(_ method: HTTPRequest.Method, _ path: String, body: String? = nil, headers extra: [String: String] = [:],
                 contentType: String = "application/json; charset=utf-8") async throws -> Reply {
        var fields = HTTPFields()
        if !token.isEmpty { fields[.authorization] = "Bearer \(token)" }
        for (name, value) in extra { fields[HTTPField.Name(name)!] = value }
        var buffer: ByteBuffer?
        if let body {
            buffer = ByteBuffer(string: body)
            fields[.contentType] = contentType
            fields[.contentLength] = String(body.utf8.count)
        }
        let request = TestClient.Request(path, method: method, headers: fields, body: buffer)
        let response = try await TestClient.withClient(host: "127.0.0.1", port: port) { try await $0.execute(request) }
        return Reply(status: response.status.code, body: response.body.map { String(buffer: $0) } ?? "")
    }

    /// npsso → code → access token (A.3, A.4).
    mutating func signIn(npsso: String) async throws {
        let redirect = MediaFixture.redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let query = "access_type=offline&client_id=\(MediaFixture.clientId)&redirect_uri=\(redirect)&response_type=code&scope=psn%3Amobile.v2.core%20psn%3Aclientapp"
        var cookie = HTTPFields()
        cookie[.cookie] = "npsso=\(npsso)"
        let fields = cookie
        let authorize = try await TestClient.withClient(host: "127.0.0.1", port: port) {
            try await $0.execute(TestClient.Request("/api/authz/v3/oauth/authorize?\(query)", method: .get, headers: fields))
        }
        guard let location = authorize.headers[.location],
            let code = location.split(separator: "code=").last?.split(separator: "&").first
        else { throw TestFailure("authorize failed: \(authorize.status)") }
        let basic = "Basic " + Data("\(MediaFixture.clientId):\(MediaFixture.secret)".utf8).base64EncodedString()
        let reply = try await request(
            .post, "/api/authz/v3/oauth/token",
            body: "token_format=jwt&grant_type=authorization_code&redirect_uri=\(redirect)&code=\(code)",
            headers: ["Authorization": basic], contentType: "application/x-www-form-urlencoded")
        guard reply.status == 200, let access = reply.json?["access_token"] as? String else {
            throw TestFailure("token failed: \(reply.status) \(reply.body)")
        }
        token = access
    }

    /// Joins with the app's body (B.5).
    func join(_ sessionId: String) async throws -> Reply {
        try await request(.post, "/api/sessionManager/v2/partySessions/\(sessionId)/members", body: """
            {"members":[{"accountId":"me","customData4":"WyIiLCIiLCIxIiwiMCIsIjYuMi4wIiwiMCIsIjAiLCIwIiwiIiwiIl0=","platform":"me","pushContexts":[{"contextId":"4d6a3a51-61d4-4c5c-9c8e-6b1f6c1c7a11"}],"voiceChatActivated":true}]}
            """)
    }

    /// Creates an open party (B.3); returns its id.
    func createParty() async throws -> String {
        let reply = try await request(.post, "/api/sessionManager/v2/partySessions", body: """
            {"v2PartySessions":[{"joinableUserType":"OPEN","maxMembers":16,"members":[{"accountId":"me","customData4":"WyIiLCIiLCIxIiwiMCIsIjYuMi4wIiwiMCIsIjAiLCIwIiwiIiwiIl0=","platform":"me","pushContexts":[{"contextId":"5d6a3a51-61d4-4c5c-9c8e-6b1f6c1c7a11"}],"voiceChatActivated":true}],"sessionName":"","sessionType":"ROOM","visibilityType":"INVITE_ONLY"}]}
            """)
        guard reply.status == 201, let sessions = reply.json?["v2PartySessions"] as? [[String: Any]],
            let id = sessions.first?["sessionId"] as? String
        else { throw TestFailure("create failed: \(reply.status) \(reply.body)") }
        return id
    }

    /// POST customMessage (B.10) with `payload` to `accountId`.
    func customMessage(_ sessionId: String, payload: String, to accountId: String,
                       channel: String = "miranda:12") async throws -> Reply {
        let body: [String: Any] = [
            "channel": channel, "payload": payload,
            "to": [["accountId": accountId, "platform": "MOBILE_APP"]], "withoutSequenceNumber": true,
        ]
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        return try await request(.post, "/api/sessionManager/v2/partySessions/\(sessionId)/customMessage",
                                 body: String(decoding: data, as: UTF8.self))
    }

    /// Opens the push socket and authenticates (E.2, E.3).
    func push(accountId: String) -> PushSocket {
        PushSocket.connect(port: port, firstFrame: #"{"version":"3.0","method":1003,"tranId":"1","accountId":\#(accountId),"status":"active","auth":{"accessToken":"\#(token)"}}"#)
    }
}

/// A push WebSocket whose text frames arrive in `frames`.
final class PushSocket: Sendable {
    let frames: AsyncStream<String>
    let task: Task<Void, any Error>

    private init(frames: AsyncStream<String>, task: Task<Void, any Error>) {
        self.frames = frames
        self.task = task
    }

    static func connect(port: Int, firstFrame: String) -> PushSocket {
        let (frames, continuation) = AsyncStream.makeStream(of: String.self)
        var headers = HTTPFields()
        headers[.secWebSocketProtocol] = "np-pushpacket"
        let task = Task {
            defer { continuation.finish() }
            _ = try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/np/pushNotification",
                configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: headers),
                logger: Logger(label: "media-test-push")
            ) { inbound, outbound, _ in
                try await outbound.write(.text(firstFrame))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { continuation.yield(text) }
                }
            }
        }
        return PushSocket(frames: frames, task: task)
    }

    /// The next event frame with this dataType (others are skipped), as JSON; nil on close or timeout.
    func next(_ dataType: String, timeout: Duration = .seconds(10)) async -> [String: Any]? {
        let frames = self.frames
        let text = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await text in frames where Self.object(text)?["dataType"] as? String == dataType { return text }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        return text.flatMap(Self.object)
    }

    static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    func close() { task.cancel() }
}

/// The test's own `miranda:12` codec (psn-protocol.md D.2–D.6), independent of the simulator's.
enum TestMiranda {
    static let prefix = "ver=1.0, type=binary, body="

    /// Encodes sorted compact JSON behind the 44-byte header and `1/1/1\n`.
    static func encode(type: String, sdp: String, from: String, to: String, seq: Int) throws -> String {
        func user(_ id: String) -> [String: Any] { ["account_id": id, "platform": 100_001] }
        let json: [String: Any] = [
            "from": user(from), "global_seq_num": seq,
            "medias": [["media_records": [["media_identifier": "voice_chat", "mid": "0"]], "msids": ["0"], "user": user(from)]],
            "sdp": sdp, "sdp_sequence_number": "1", "to": user(to), "type": type, "users": [user(from)],
        ]
        let jsonData = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])
        return encode(json: String(decoding: jsonData, as: UTF8.self), from: from)
    }

    /// Wraps any JSON text from `from` in the header and framing.
    static func encode(json: String, from: String) -> String {
        let text = Array("1/1/1\n".utf8) + Array(json.utf8)
        var bytes: [UInt8] = []
        func le(_ value: UInt64, _ count: Int) { for i in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) } }
        le(1, 8); le(1, 8); le(UInt64(from)!, 8); le(100_001, 8); le(0, 8); le(UInt64(text.count), 4)
        return prefix + Data(bytes + text).base64EncodedString()
    }

    /// Decodes a payload: the header's sender and platform, the JSON text and object.
    static func decode(_ payload: String) throws -> (sender: UInt64, platform: UInt64, text: String, json: [String: Any]) {
        guard payload.hasPrefix(prefix), let data = Data(base64Encoded: String(payload.dropFirst(prefix.count))) else {
            throw TestFailure("not a miranda envelope")
        }
        let bytes = [UInt8](data)
        func le(_ at: Int, _ count: Int) -> UInt64 { (0..<count).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        guard bytes.count >= 50, le(0, 8) == 1, le(8, 8) == 1, Int(le(40, 4)) == bytes.count - 44,
            Array(bytes[44..<50]) == Array("1/1/1\n".utf8)
        else { throw TestFailure("bad miranda header") }
        let text = String(decoding: bytes[50...], as: UTF8.self)
        guard let json = (try? JSONSerialization.jsonObject(with: Data(bytes[50...]))) as? [String: Any] else {
            throw TestFailure("miranda JSON does not parse")
        }
        return (le(16, 8), le(24, 8), text, json)
    }
}
