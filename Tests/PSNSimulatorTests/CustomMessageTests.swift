import Foundation
import HTTPTypes
import PSNSimulator
import Testing

/// Builds D.5-shaped payloads with exactly one thing broken.
enum MirandaBuilder {
    static let sender: UInt64 = 1_234_567_890_123_456_789

    static func json(type: String = "answer", sdp: String = #"v=0\r\n"#, fromAccount: String = "1234567890123456789",
                     fromPlatform: String = "100001") -> String {
        MirandaFixtures.d5JSON
            .replacingOccurrences(of: #""type":"answer""#, with: #""type":"\#(type)""#)
            .replacingOccurrences(of: #""sdp":"v=0\r\n""#, with: #""sdp":"\#(sdp)""#)
            .replacingOccurrences(
                of: #""from":{"account_id":"1234567890123456789","platform":100001}"#,
                with: #""from":{"account_id":"\#(fromAccount)","platform":\#(fromPlatform)}"#)
    }

    static func envelope(_ bytes: [UInt8]) -> String {
        MirandaPayload.envelopePrefix + Data(bytes).base64EncodedString()
    }

    static func binary(json: String = json(), sender: UInt64 = sender) -> [UInt8] {
        MirandaPayload.binary(senderAccountId: sender, senderPlatformCode: 100_001, jsonText: json)
    }
}

@Suite("customMessage payload validation (D.7, H 15)")
struct CustomMessageTests {
    /// A (sender of D.5) and B (its target) in one party, both with push sockets.
    static func withParty(_ configure: @escaping @Sendable (inout SimulatorConfiguration) -> Void = { _ in },
                          _ body: @Sendable (SimClient, String, String, String, PushClient) async throws -> Void)
        async throws
    {
        try await withSimulator(Fixture.configuration(configure)) { c in
            let a = try await c.signIn(Fixture.a)
            let b = try await c.signIn(Fixture.b)
            let sb = try await c.push(Fixture.b, token: b.access)
            let sessionId = try await c.createParty(a.access)
            _ = try await c.invite(a.access, sessionId, Fixture.b.accountId)
            #expect(try await c.join(b.access, sessionId).status == 201)
            #expect(await sb.nextType() == "psn:sessionManager:sys:v2:ps:members:created")
            try await body(c, sessionId, a.access, b.access, sb)
        }
    }

    static func send(_ c: SimClient, _ sessionId: String, _ token: String, payload: String,
                     to: String = Fixture.b.accountId) async throws -> HTTPResult {
        let body: JSONValue = .object([
            "channel": .string("miranda:12"), "payload": .string(payload),
            "to": .array([.object(["accountId": .string(to), "platform": .string("PS5")])]),
            "withoutSequenceNumber": .bool(true),
        ])
        return try await c.request(.post, "/api/sessionManager/v2/partySessions/\(sessionId)/customMessage",
                                   headers: c.bearer(token), body: body.serialized)
    }

    static func expectRule(_ r: HTTPResult, _ rule: Int, _ check: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 400, sourceLocation: sourceLocation)
        let error = r.json?["error"]
        #expect(error?["message"] == .string("Bad Request (body: null)"), sourceLocation: sourceLocation)
        #expect(error?["code"]?.intValue == 9_900_400, sourceLocation: sourceLocation)
        #expect(error?["referenceId"]?.stringValue?.count == 36, sourceLocation: sourceLocation)
        #expect(error?["reason"] == .string("MirandaPayloadRule\(rule)"), sourceLocation: sourceLocation)
        #expect(error?["details"]?["rule"] == .string("D.7.\(rule)"), sourceLocation: sourceLocation)
        #expect(error?["details"]?["check"] == .string(check), sourceLocation: sourceLocation)
    }

    @Test("the D.5 example is accepted and relayed byte for byte in the push frame")
    func workedExampleRelayed() async throws {
        try await Self.withParty { c, sessionId, a, _, sb in
            let r = try await Self.send(c, sessionId, a, payload: MirandaFixtures.d5Payload)
            #expect(r.status == 204)
            #expect(r.body.isEmpty)
            let frame = try #require(await sb.next())
            #expect(frame["dataType"] == .string("psn:sessionManager:sys:v2:ps:customMessage:noSeq:created"))
            #expect(frame["body"]?["data"]?["customMessage"]?["payload"] == .string(MirandaFixtures.d5Payload))
            let full = try await Self.send(c, sessionId, a, payload: MirandaFixtures.samplePayload)
            #expect(full.status == 204)
            #expect(await sb.next()?["body"]?["data"]?["customMessage"]?["payload"]
                == .string(MirandaFixtures.samplePayload))
        }
    }

    @Test("rules 1 and 2: prefix, base64, header constants, text length, framing, JSON")
    func envelopeAndHeaderRules() async throws {
        try await Self.withParty { c, sessionId, a, _, sb in
            let good = MirandaBuilder.binary()
            let encoded = Data(good).base64EncodedString()
            Self.expectRule(try await Self.send(c, sessionId, a, payload: "ver=1.0, type=binary,body=" + encoded), 1, "prefix")
            Self.expectRule(try await Self.send(c, sessionId, a, payload: "payload=ver=1.0, type=binary, body=" + encoded), 1, "prefix")
            Self.expectRule(try await Self.send(c, sessionId, a, payload: MirandaPayload.envelopePrefix + "AQAA*AAA"), 1, "base64")
            Self.expectRule(try await Self.send(c, sessionId, a, payload: String(MirandaFixtures.d5Payload.dropLast())), 1, "base64")

            var constants = good
            constants[8] = 0x02
            Self.expectRule(try await Self.send(c, sessionId, a, payload: MirandaBuilder.envelope(constants)), 2, "constants")
            var length = good
            length[40] = 0x00
            Self.expectRule(try await Self.send(c, sessionId, a, payload: MirandaBuilder.envelope(length)), 2, "textLength")
            var framing = good
            framing[44] = UInt8(ascii: "2")
            Self.expectRule(try await Self.send(c, sessionId, a, payload: MirandaBuilder.envelope(framing)), 2, "framing")
            let badJSON = MirandaBuilder.binary(json: String(MirandaFixtures.d5JSON.dropLast()))
            Self.expectRule(try await Self.send(c, sessionId, a, payload: MirandaBuilder.envelope(badJSON)), 2, "json")
            Self.expectRule(try await Self.send(c, sessionId, a, payload: MirandaBuilder.envelope(Array(good.prefix(44)))), 2, "length")
            #expect(await sb.next(timeout: .milliseconds(200)) == nil)  // nothing relayed
        }
    }

    @Test("rule 3: type offer/answer, sdp starting with v=0")
    func contentRules() async throws {
        try await Self.withParty { c, sessionId, a, _, _ in
            let offer = MirandaBuilder.envelope(MirandaBuilder.binary(json: MirandaBuilder.json(type: "offer")))
            #expect(try await Self.send(c, sessionId, a, payload: offer).status == 204)
            for json in [MirandaBuilder.json(type: "sdp_updated"), MirandaBuilder.json(type: "Offer")] {
                Self.expectRule(try await Self.send(c, sessionId, a, payload: MirandaBuilder.envelope(MirandaBuilder.binary(json: json))), 3, "type")
            }
            for sdp in ["", "o=- 1 2 IN IP4 127.0.0.1"] {
                let json = MirandaBuilder.json(sdp: sdp)
                Self.expectRule(try await Self.send(c, sessionId, a, payload: MirandaBuilder.envelope(MirandaBuilder.binary(json: json))), 3, "sdp")
            }
            let array = MirandaBuilder.envelope(MirandaBuilder.binary(json: "[]"))
            Self.expectRule(try await Self.send(c, sessionId, a, payload: array), 3, "type")
        }
    }

    @Test("rule 4: header sender, from.account_id and from.platform are the caller's (strictMirandaIdentity)")
    func identityRules() async throws {
        try await Self.withParty { c, sessionId, a, b, _ in
            let header = MirandaBuilder.envelope(MirandaBuilder.binary(sender: 1_111_111_111_111_111_111))
            Self.expectRule(try await Self.send(c, sessionId, a, payload: header), 4, "headerAccountId")
            let from = MirandaBuilder.envelope(MirandaBuilder.binary(json: MirandaBuilder.json(fromAccount: "1111111111111111111")))
            Self.expectRule(try await Self.send(c, sessionId, a, payload: from), 4, "fromAccountId")
            let platform = MirandaBuilder.envelope(MirandaBuilder.binary(json: MirandaBuilder.json(fromPlatform: "5")))
            Self.expectRule(try await Self.send(c, sessionId, a, payload: platform), 4, "fromPlatform")
            // B relaying A's payload is an identity mismatch too.
            Self.expectRule(try await Self.send(c, sessionId, b, payload: MirandaFixtures.d5Payload, to: Fixture.a.accountId), 4, "headerAccountId")

            _ = try await c.admin("faults", #"{"strictMirandaIdentity":false}"#)
            #expect(try await Self.send(c, sessionId, a, payload: header).status == 204)
            #expect(try await Self.send(c, sessionId, a, payload: platform).status == 204)
        }
    }

    @Test("rule 5: non-member caller → 404, non-member recipient → 400; rejectCustomMessage still wins")
    func membershipRules() async throws {
        try await Self.withParty { c, sessionId, a, _, _ in
            let carol = try await c.signIn(Fixture.c)
            let outsider = try await Self.send(c, sessionId, carol.access, payload: MirandaFixtures.d5Payload)
            #expect(outsider.status == 404)
            #expect(outsider.json?["error"]?["message"] == .string("Resource not found"))
            Self.expectRule(try await Self.send(c, sessionId, a, payload: MirandaFixtures.d5Payload, to: Fixture.c.accountId), 5, "recipient")

            _ = try await c.admin("faults", #"{"rejectCustomMessage":true}"#)
            let rejected = try await Self.send(c, sessionId, a, payload: MirandaFixtures.d5Payload)
            #expect(rejected.status == 400)
            #expect(rejected.json?["error"]?["message"] == .string("Bad Request (body: null)"))
        }
    }
}
