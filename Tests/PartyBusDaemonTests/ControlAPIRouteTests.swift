import Foundation
import PSN
import PSNSimulator
import PSNTestSupport
import PartyBusCore
import PartyBusDaemon
import PartyBusTestSupport
import Synchronization
import Testing
import Yams

/// Calls documented operations through `ControlAPI.handle`, the way the Unix socket does, and checks each answer:
/// routed (not a "no route" 404/405), the expected status, request bodies as documented, JSON answers that match
/// the documented schema. Remembers which operations it called.
final class OperationDriver {
    let fixture: DaemonFixture
    let document: OpenAPIDocument
    /// `METHOD path` of every operation called, in order.
    private(set) var exercised: [String] = []

    init(fixture: DaemonFixture, document: OpenAPIDocument) {
        self.fixture = fixture
        self.document = document
    }

    /// Calls the operation `method template`, its `{name}` segments filled from `parameters`.
    @discardableResult
    func call(
        _ method: String, _ template: String, _ parameters: [String: String] = [:], query: [String: [String]] = [:],
        json: [String: any Sendable]? = nil, expect status: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ControlResponse {
        let key = "\(method) \(template)"
        let operation = try #require(
            document.operations.first { $0.key == key }, "\(key) is not in docs/openapi.yaml", sourceLocation: sourceLocation)
        var path = template
        for (name, value) in parameters {
            path = path.replacingOccurrences(
                of: "{\(name)}", with: value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? value)
        }
        #expect(!path.contains("{"), "\(key): fill every path parameter", sourceLocation: sourceLocation)
        if let json {
            let schema = try #require(
                try document.requestSchema(of: operation), "\(key): a body the document does not describe",
                sourceLocation: sourceLocation)
            let properties = Set(schema["properties"]?.mapping?.keys.compactMap(\.string) ?? [])
            let required = Set(schema["required"]?.sequence?.compactMap(\.string) ?? [])
            #expect(Set(json.keys).isSubset(of: properties), "\(key): undocumented body fields", sourceLocation: sourceLocation)
            #expect(required.isSubset(of: Set(json.keys)), "\(key): required body fields missing", sourceLocation: sourceLocation)
        }
        let response = try await fixture.call(method, path, query: query, json: json)
        #expect(!response.isNoRoute, "\(key) (\(path)) was not routed: \(response.text)", sourceLocation: sourceLocation)
        #expect(response.status == status, "\(key) → \(response.status) \(response.text)", sourceLocation: sourceLocation)
        if response.stream == nil && response.contentType == "application/json" {
            let schema = try #require(
                try document.responseSchema(of: operation, status: response.status),
                "\(key): no documented answer for \(response.status)", sourceLocation: sourceLocation)
            let problems = try document.problems(of: try response.json(), against: schema)
            #expect(problems.isEmpty, "\(key): the answer does not match docs/openapi.yaml: \(problems)", sourceLocation: sourceLocation)
        }
        exercised.append(key)
        return response
    }
}

/// What a stream closure wrote, chunk by chunk.
final class ChunkRecorder: Sendable {
    private let chunks = Mutex<[Data]>([])
    /// Everything written so far.
    var all: [Data] { chunks.withLock { $0 } }
    /// The chunks joined as text.
    var text: String { String(decoding: all.reduce(Data(), +), as: UTF8.self) }
    /// Records a chunk.
    func record(_ chunk: Data) { chunks.withLock { $0.append(chunk) } }
}

/// One server-sent event as the stream frames it.
struct SSEFrame {
    var id: UInt64
    var event: String
    var data: String

    /// The frames in a stream's text (comments and incomplete frames skipped).
    static func parse(_ text: String) -> [SSEFrame] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var fields: [String: String] = [:]
            for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[String(line[..<colon])] = String(line[line.index(after: colon)...].drop { $0 == " " })
            }
            guard let id = fields["id"].flatMap(UInt64.init), let event = fields["event"], let data = fields["data"] else { return nil }
            return SSEFrame(id: id, event: event, data: data)
        }
    }
}

/// Writing into a stream after the first event frame: ends the stream the way the server does for a client that
/// went away.
func recordUntilFirstEvent(_ recorder: ChunkRecorder) -> @Sendable (Data) async throws -> Void {
    { chunk in
        recorder.record(chunk)
        if !SSEFrame.parse(recorder.text).isEmpty { throw CancellationError() }
    }
}

/// A JSON boolean as decoded by JSONSerialization (a `Bool` or an `NSNumber`, depending on the platform).
private func bool(_ value: Any?) -> Bool? { (value as? Bool) ?? (value as? NSNumber)?.boolValue }

/// Every documented operation answers through `ControlAPI.handle` against a signed-in context on the simulator;
/// bad input is answered with the right status and a message naming the problem.
@Suite("Control API answers every documented operation", .serialized, .timeLimit(.minutes(3)))
struct ControlAPIRouteTests {
    @Test("every documented operation is a working route: 2xx, and 409 for the voice routes with voice off")
    func everyOperationAnswers() async throws {
        let documented = try OpenAPIDocument.load().operations.map(\.key)
        let graphs = try GraphFixture()
        let exercised = try await DaemonFixture.run(voiceGraph: graphs.voiceGraph) { fixture in
            let document = try OpenAPIDocument.load()
            let driver = OperationDriver(fixture: fixture, document: document)
            let me = TestAccounts.me.accountId, alice = TestAccounts.alice.accountId, bob = TestAccounts.bob.accountId

            // Parties of the simulator's other accounts: Alice's we join by id, resolve by link and leave; Bob's
            // we accept the invitation of.
            let alices = try fixture.simulator.perform(actor: "sim-alice", action: "create", args: ["sessionName": .string("Alice's")])
            let aliceParty = try #require(alices["sessionId"]?.stringValue)
            let aliceLink = try #require(alices["linkId"]?.stringValue)
            try fixture.simulator.perform(
                actor: "sim-alice", action: "invite", args: ["sessionId": .string(aliceParty), "to": .array([.string(me)])])
            let bobs = try fixture.simulator.perform(actor: "sim-bob", action: "create", args: ["sessionName": .string("Bob's")])
            let bobParty = try #require(bobs["sessionId"]?.stringValue)
            try fixture.simulator.perform(
                actor: "sim-bob", action: "invite", args: ["sessionId": .string(bobParty), "to": .array([.string(me)])])

            // Status and sign-in.
            let status = try await driver.call("GET", "/v1/status", expect: 200).object()
            #expect(bool((status["account"] as? [String: Any])?["signedIn"]) == true)
            #expect(bool(status["simulated"]) == true)
            #expect(status["voice"] == nil, "voice is off")
            try await driver.call("GET", "/v1/plugins", expect: 200)
            let authorize = try await driver.call("GET", "/v1/auth/authorize-url", expect: 200).object()
            #expect((authorize["url"] as? String)?.hasPrefix(try #require(fixture.simulator.baseURL)) == true)
            let signedIn = try await driver.call("POST", "/v1/auth/npsso", json: ["npsso": TestAccounts.me.npsso], expect: 200).object()
            #expect(signedIn["accountId"] as? String == me)
            let grant = try await fixture.context.client.oauth.authorize(npsso: Secret(TestAccounts.me.npsso))
            let redirect = "\(fixture.context.client.settings.redirectUri)?code=\(grant.code)&cid=\(grant.cid)"
            let byCode = try await driver.call(
                "POST", "/v1/auth/code", json: ["redirect": redirect, "cid": grant.cid], expect: 200).object()
            #expect(byCode["accountId"] as? String == me)

            // Parties.
            let created = try await driver.call("POST", "/v1/parties", json: ["name": "Control API", "maxMembers": 4], expect: 201).object()
            let mine = try #require(created["sessionId"] as? String)
            let listed = try #require(try await driver.call("GET", "/v1/parties", expect: 200).json() as? [[String: Any]])
            #expect(listed.contains { $0["sessionId"] as? String == mine })
            let shown = try await driver.call("GET", "/v1/parties/{sessionId}", ["sessionId": mine], expect: 200).object()
            #expect(shown["sessionId"] as? String == mine)
            #expect(shown["sessionName"] as? String == "Control API")
            let invited = try await driver.call(
                "POST", "/v1/parties/{sessionId}/invitations", ["sessionId": mine], json: ["accountIds": [alice, bob]],
                expect: 200
            ).object()
            #expect(invited["accountIds"] as? [String] == [alice, bob])
            let invitations = try #require(try await driver.call("GET", "/v1/invitations", expect: 200).json() as? [[String: Any]])
            #expect(Set(invitations.compactMap { $0["sessionId"] as? String }) == [aliceParty, bobParty])
            let joined = try await driver.call("POST", "/v1/parties/{sessionId}/join", ["sessionId": aliceParty], expect: 200).object()
            #expect(joined["action"] as? String == "joined")
            let accepted = try await driver.call(
                "POST", "/v1/invitations/{sessionId}/accept", ["sessionId": bobParty], expect: 200
            ).object()
            #expect(accepted["action"] as? String == "joined")
            let link = try await driver.call("GET", "/v1/links/{linkId}", ["linkId": aliceLink], expect: 200).object()
            #expect(link["sessionId"] as? String == aliceParty)
            let left = try await driver.call("POST", "/v1/parties/{sessionId}/leave", ["sessionId": aliceParty], expect: 200).object()
            #expect(left["action"] as? String == "left")
            #expect(bool(left["voiceStopped"]) == false)
            await fixture.context.parties.waitUntilFolded(fixture.context.log.head)
            #expect(Set(fixture.context.parties.current.parties.keys) == [mine, bobParty])

            // Voice: every documented voice operation refuses with 409 while voice is off.
            let voiceBodies: [String: [String: any Sendable]] = [
                "POST /v1/voice/start": ["sessionId": mine],
                "POST /v1/voice/volume": ["peer": alice, "volume": 0.5],
            ]
            for operation in document.operations where operation.path == "/v1/voice" || operation.path.hasPrefix("/v1/voice/") {
                let refused = try await driver.call(
                    operation.method, operation.path, json: voiceBodies[operation.key], expect: 409)
                #expect(refused.errorMessage?.contains("voice") == true, "\(operation.key): \(refused.text)")
            }

            // P2P: every documented p2p operation refuses with 409 while the node is off (this context runs none;
            // CLITests.P2PDaemonTests drives them against real daemons).
            let p2pBodies: [String: [String: any Sendable]] = [
                "POST /v1/p2p/peers": ["token": "pb1aaaa"], "POST /v1/p2p/send": ["topic": "t", "body": "x"],
            ]
            for operation in document.operations where operation.path.hasPrefix("/v1/p2p") {
                let refused = try await driver.call(
                    operation.method, operation.path, operation.path.contains("{peer}") ? ["peer": String(repeating: "a", count: 52)] : [:],
                    json: p2pBodies[operation.key], expect: 409)
                #expect(refused.errorMessage?.contains("P2P") == true, "\(operation.key): \(refused.text)")
            }

            // Events: a filtered range, the last few.
            let head = fixture.context.log.head
            let range = try await driver.call(
                "GET", "/v1/events",
                query: ["from": ["1"], "to": [String(head)], "limit": ["1000"], "type": ["party.*"], "stream": ["party/*"]],
                expect: 200
            ).object()
            let events = try #require(range["events"] as? [[String: Any]])
            #expect(!events.isEmpty)
            #expect(events.allSatisfy { ($0["type"] as? String)?.hasPrefix("party.") == true })
            #expect(events.allSatisfy { ($0["stream"] as? String)?.hasPrefix("party/") == true })
            #expect((range["head"] as? NSNumber)?.uint64Value == head)
            let last = try await driver.call("GET", "/v1/events", query: ["last": ["2"]], expect: 200).object()
            let lastEvents = try #require(last["events"] as? [[String: Any]])
            #expect(lastEvents.compactMap { ($0["seq"] as? NSNumber)?.uint64Value } == [head - 1, head])
            let byType = try await driver.call(
                "GET", "/v1/events", query: ["type": ["auth.signed_in", "party.created"]], expect: 200
            ).object()
            #expect(Set((byType["events"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String })
                == ["auth.signed_in", "party.created"])

            // The event stream: the opening comment, then the first matching event as an SSE frame.
            let stream = try await driver.call(
                "GET", "/v1/events/stream", query: ["from": ["1"], "type": ["party.created"]], expect: 200)
            let write = try #require(stream.stream, "/v1/events/stream answers a stream")
            let recorder = ChunkRecorder()
            await #expect(throws: CancellationError.self) { try await write(recordUntilFirstEvent(recorder)) }
            let first = try #require(recorder.all.first.map { String(decoding: $0, as: UTF8.self) })
            #expect(first.hasPrefix(": partybus event stream from seq 1\n\n"))
            let frame = try #require(SSEFrame.parse(recorder.text).first)
            #expect(recorder.text.contains("\nid: \(frame.id)\nevent: party.created\ndata: {"))
            #expect(frame.event == "party.created")
            let event = try EventJSON.event(fromLine: Data(frame.data.utf8))
            #expect(event.seq == frame.id && event.type == "party.created" && event.stream == "party/\(mine)")

            // Graphs: the shipped ones listed and checked, one read, a text checked, a good one saved.
            let listing = try await driver.call("GET", "/v1/graphs", expect: 200).object()
            #expect(listing["voiceGraph"] as? String == "headless-test.yaml")
            let names = (listing["graphs"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(names == ["headless-test.yaml", "headless.yaml", "listen-only.yaml", "obs-per-speaker.yaml", "obs.yaml", "party-voice.yaml"])
            let graph = try await driver.call("GET", "/v1/graphs/{name}", ["name": "headless-test.yaml"], expect: 200).object()
            let text = try #require(graph["text"] as? String)
            #expect(text == (try graphs.text("headless-test.yaml")))
            let edited = text.replacingOccurrences(of: "bitrate: 40000", with: "bitrate: 32000")
            let saved = try await driver.call(
                "PUT", "/v1/graphs/{name}", ["name": "headless-test.yaml"], json: ["text": edited], expect: 200).object()
            #expect(bool(saved["voiceGraph"]) == true)
            #expect(try graphs.text("headless-test.yaml") == edited)
            let checked = try await driver.call("POST", "/v1/graphs/check", json: ["text": edited], expect: 200).object()
            #expect(bool(checked["ok"]) == true)

            // Recordings: one the recorder left (a real Ogg Opus track), listed, shown, cooked and downloaded.
            let recording = try RecordingFixture.make(in: fixture.context.config.dataDirectory)
            let recordings = try await driver.call("GET", "/v1/recordings", expect: 200).object()
            #expect((recordings["recordings"] as? [[String: Any]])?.first?["id"] as? String == recording)
            let one = try await driver.call("GET", "/v1/recordings/{id}", ["id": recording], expect: 200).object()
            #expect(one["state"] as? String == "saved")
            let exported = try await driver.call(
                "POST", "/v1/recordings/{id}/export", ["id": recording], json: ["format": "wav"], expect: 200).object()
            let file = try #require(exported["file"] as? String)
            let bytes = try await driver.call("GET", "/v1/exports/{file}", ["file": file], expect: 200)
            #expect(bytes.contentType == "application/octet-stream" && bytes.body.starts(with: Data("RIFF".utf8)))

            // Health: alive; not ready here (this context runs no push socket), saying why; metrics are the
            // daemon's only (this context has no registry), so 503 with the error shape.
            let live = try await driver.call("GET", "/livez", expect: 200).object()
            #expect(bool(live["live"]) == true)
            let readiness = try await driver.call("GET", "/readyz", expect: 503).object()
            #expect(((readiness["problems"] as? [String]) ?? []).contains { $0.hasPrefix("push socket") }, "\(readiness)")
            _ = try await driver.call("GET", "/metrics", expect: 503)

            // Signing out last.
            let signedOut = try await driver.call("POST", "/v1/auth/logout", expect: 200).object()
            #expect(bool(signedOut["signedIn"]) == false)
            let after = try await fixture.call("GET", "/v1/status").object()
            #expect(bool((after["account"] as? [String: Any])?["signedIn"]) == false)
            return driver.exercised
        }
        let missed = documented.filter { !exercised.contains($0) }
        #expect(missed.isEmpty, "documented operations the test did not call: \(missed)")
        #expect(Set(exercised) == Set(ControlAPI.routes.map { "\($0.method) \($0.path)" }))
    }

    @Test("the event stream catches up, then follows what is appended after it started")
    func streamFollows() async throws {
        try await DaemonFixture.run(signedIn: false) { fixture in
            let log = fixture.context.log
            _ = try await log.append(ping(1))
            let response = try await fixture.call("GET", "/v1/events/stream", query: ["type": ["test.*"]])
            #expect(response.status == 200)
            let write = try #require(response.stream)
            let (chunks, continuation) = AsyncStream<Data>.makeStream()
            let recorder = ChunkRecorder()
            let streaming = Task {
                try await write { chunk in
                    continuation.yield(chunk)
                    try await recordUntilFirstEvent(recorder)(chunk)
                }
            }
            var iterator = chunks.makeAsyncIterator()
            let opening = try #require(await iterator.next())
            // Without ?from the stream starts after the head when asked: the ping before is not sent again.
            #expect(String(decoding: opening, as: UTF8.self) == ": partybus event stream from seq \(log.head + 1)\n\n")
            let appended = try await log.append(ping(2))
            await #expect(throws: CancellationError.self) { try await streaming.value }
            continuation.finish()
            let frames = SSEFrame.parse(recorder.text)
            #expect(frames.map(\.id) == [appended.seq])
            #expect(frames.first?.event == "test.ping")
        }
    }

    @Test("bad input: garbage JSON, unknown path, wrong method, a session id that is no UUID, bad numbers, missing fields")
    func badInput() async throws {
        try await DaemonFixture.run(signedIn: false) { fixture in
            let document = try OpenAPIDocument.load()
            let uuid = UUID().uuidString.lowercased()

            let garbage = try await fixture.call("POST", "/v1/parties", body: Data(#"{"name": "#.utf8))
            #expect(garbage.status == 400)
            #expect(garbage.errorMessage?.hasPrefix("request body: not valid JSON") == true, "\(garbage.text)")
            let mistyped = try await fixture.call("POST", "/v1/parties", json: ["maxMembers": "many"])
            #expect(mistyped.status == 400)
            #expect(mistyped.errorMessage?.contains("'maxMembers'") == true, "\(mistyped.text)")
            let tooMany = try await fixture.call("POST", "/v1/parties", json: ["maxMembers": 99])
            #expect(tooMany.status == 400 && tooMany.errorMessage?.contains("maxMembers") == true, "\(tooMany.text)")
            let notAccounts = try await fixture.call("POST", "/v1/parties/\(uuid)/invitations", json: ["accountIds": ["sim-alice"]])
            #expect(notAccounts.status == 400 && notAccounts.errorMessage?.contains("accountIds") == true, "\(notAccounts.text)")

            for path in ["/v1/nope", "/v2/status", "/v1/parties/\(uuid)/dance", "/"] {
                let unknown = try await fixture.call("GET", path)
                #expect(unknown.status == 404, "\(path)")
                #expect(unknown.errorMessage?.hasPrefix("no route GET \(path)") == true, "\(unknown.text)")
            }
            for (method, path) in [("DELETE", "/v1/parties"), ("GET", "/v1/parties/\(uuid)/join"), ("POST", "/v1/status"), ("PUT", "/v1/events")] {
                let wrong = try await fixture.call(method, path)
                #expect(wrong.status == 405, "\(method) \(path)")
                #expect(wrong.errorMessage == "\(method) is not allowed on \(path)", "\(wrong.text)")
            }
            for (method, path) in [
                ("GET", "/v1/parties/not-a-uuid"), ("POST", "/v1/parties/12345/join"), ("POST", "/v1/parties/x/leave"),
                ("POST", "/v1/invitations/party/accept"),
            ] {
                let notUUID = try await fixture.call(method, path, json: [:])
                #expect(notUUID.status == 400, "\(method) \(path)")
                #expect(notUUID.errorMessage?.contains("is not a party session id (a UUID)") == true, "\(notUUID.text)")
            }

            // Not signed in: the PSN routes say so with 409.
            let notSignedIn = try await fixture.call("GET", "/v1/parties")
            #expect(notSignedIn.status == 409 && notSignedIn.errorMessage?.contains("sign-in required") == true, "\(notSignedIn.text)")

            // Every documented whole-number query parameter is read: garbage is a 400 naming it.
            for operation in document.operations {
                for parameter in try document.parameters(of: operation) where parameter.location == "query" {
                    guard let schema = parameter.node["schema"], try document.resolve(schema)["type"]?.string == "integer" else { continue }
                    let answer = try await fixture.call(operation.method, operation.path, query: [parameter.name: ["soon"]])
                    #expect(answer.status == 400, "\(operation.key)?\(parameter.name)=soon")
                    #expect(answer.errorMessage?.contains("query parameter '\(parameter.name)'") == true, "\(answer.text)")
                }
            }

            // Every documented required body field is required: an empty object is a 400 naming one.
            // (Voice and P2P are off in this fixture: their routes answer 409 before reading a body.)
            for operation in document.operations where !operation.path.hasPrefix("/v1/voice") && !operation.path.hasPrefix("/v1/p2p") {
                guard let schema = try document.requestSchema(of: operation) else { continue }
                let required = schema["required"]?.sequence?.compactMap(\.string) ?? []
                guard !required.isEmpty else { continue }
                let path = operation.path.replacingOccurrences(of: "{sessionId}", with: uuid)
                let answer = try await fixture.call(operation.method, path, json: [:])
                #expect(answer.status == 400, "\(operation.key) with {}")
                let message = answer.errorMessage ?? ""
                #expect(message.hasPrefix("request body: missing") && required.contains { message.contains("'\($0)'") }, "\(message)")
            }
        }
    }
}
