import Foundation
import HTTPTypes
import PSNSimulator
import Testing

extension SimClient {
    static let mediaTypes = #"{"mediaTypes":{"application":{"isRequired":true},"audio":{"isRequired":true,"opus":[{"bitrate":40,"channels":1,"codec":"CELT","ptime":40,"samplingRates":[16000]}]}}}"#

    func bridgeHeaders(_ access: String, token: String?) -> HTTPFields {
        var fields = bearer(access)
        fields[HTTPField.Name("X-PSN-RTC-TITLE-ID")!] = "METROPOL_AND"
        if let token { fields[HTTPField.Name("X-PSN-BRIDGE-TOKEN")!] = token }
        return fields
    }

    func createBridge(_ access: String) async throws -> (id: String, token: String) {
        let r = try await request(.post, "/api/rtcBridge/v1/bridges", headers: bridgeHeaders(access, token: nil), body: "{}")
        guard r.status == 200, let id = r.json?["bridge"]?["bridgeId"]?.stringValue,
            let token = r.json?["bridge"]?["bridgeToken"]?.stringValue
        else { throw TestError("create bridge failed: \(r.status) \(r.body)") }
        return (id, token)
    }

    func linkBridge(_ access: String, _ sessionId: String, _ bridge: (id: String, token: String)) async throws -> HTTPResult {
        var fields = bearer(access)
        fields[HTTPField.Name("X-PSN-SESSION-MANAGER-IGNORE-CONFLICT")!] = "true"
        let body: JSONValue = .object([
            "bridges": .array([.object(["bridgeId": .string(bridge.id), "bridgeToken": .string(bridge.token)])])
        ])
        return try await request(.post, "/api/sessionManager/v2/partySessions/\(sessionId)/bridges", headers: fields,
                                 body: body.serialized, contentType: "application/json; charset=utf-8")
    }

    func addPeer(_ access: String, _ bridgeId: String, token: String?) async throws -> HTTPResult {
        try await request(.post, "/api/rtcBridge/v1/bridges/\(bridgeId)/peers?allow_duid_duplication=false&g=2",
                          headers: bridgeHeaders(access, token: token), body: Self.mediaTypes)
    }

    func answer(_ access: String, _ bridgeId: String, _ peerId: String, token: String?, sdp: String) async throws -> HTTPResult {
        let body: JSONValue = .object(["answer": .object(["sdp": .string(sdp)])])
        return try await request(.post, "/api/rtcBridge/v1/bridges/\(bridgeId)/peers/\(peerId)/answer",
                                 headers: bridgeHeaders(access, token: token), body: body.serialized)
    }
}

/// An app-like answer (C.8 "App answer").
let appAnswer = [
    "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 13", "c=IN IP4 0.0.0.0",
    "a=candidate:1 1 udp 2122260223 192.0.2.10 40000 typ host", "a=ice-ufrag:Ab3d", "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "a=fingerprint:sha-256 " + Array(repeating: "AB", count: 32).joined(separator: ":"), "a=setup:active", "a=mid:0",
    "a=sendonly", "a=msid:- 00000000-0000-4000-8000-000000000000", "a=rtcp-mux", "a=rtpmap:111 opus/16000/2",
    "a=fmtp:111 minptime=10;stereo=0;useinbandfec=1", "a=rtpmap:13 CN/8000", "a=ptime:40", "a=ssrc:1 cname:x",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", "a=mid:1", "a=sctp-port:5000",
].map { $0 + "\r\n" }.joined()

@Suite("rtcBridge REST (C, H 12–14)")
struct RTCBridgeTests {
    /// The C.8 offer, line by line (`*` = generated value).
    static let offerPattern = [
        "v=0", "o=- * 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1", "m=audio * UDP/TLS/RTP/SAVPF 111 13",
        "c=IN IP4 127.0.0.1", "a=candidate:* 1 udp * 127.0.0.1 * typ host", "a=ice-ufrag:*", "a=ice-pwd:*",
        "a=fingerprint:sha-256 *", "a=setup:actpass", "a=mid:0", "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:2 urn:uuid:84a86fab-a84f-4d61-b376-2ee79d2b67d2#sie:rtp-hdrext:rtp-payload-signature", "a=recvonly",
        "a=rtcp-mux", "a=rtpmap:111 opus/16000/2", "a=fmtp:111 minptime=10;stereo=0;useinbandfec=1",
        "a=rtpmap:13 CN/8000", "a=ptime:40", "m=application * UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 127.0.0.1",
        "a=mid:1", "a=sctp-port:5000",
    ]

    static func matches(_ line: String, _ pattern: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard line.hasPrefix(parts[0]), line.hasSuffix(parts[parts.count - 1]) else { return false }
        var rest = Substring(line.dropFirst(parts[0].count))
        for part in parts.dropFirst() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }

    static func attribute(_ sdp: String, _ prefix: String) -> String? {
        sdp.components(separatedBy: "\r\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    @Test("create → link → add peer (C.8 offer, fresh credentials) → answer → second answer 409 → deletes → 404")
    func lifecycle() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let sessionId = try await c.createParty(a.access)
            let created = try await c.request(.post, "/api/rtcBridge/v1/bridges", headers: c.bridgeHeaders(a.access, token: nil), body: "{}")
            #expect(created.status == 200)
            let bridgeObject = try #require(created.json?["bridge"]?.objectValue)
            #expect(bridgeObject.keys == ["bridgeId", "bridgeToken", "bridgeHostingType"])
            #expect(bridgeObject["bridgeHostingType"] == .string("us1_uksaws_1"))
            let bridge = (id: try #require(bridgeObject["bridgeId"]?.stringValue), token: try #require(bridgeObject["bridgeToken"]?.stringValue))
            #expect(bridge.id.count == 36 && bridge.id == bridge.id.lowercased())

            let linked = try await c.linkBridge(a.access, sessionId, bridge)
            #expect(linked.status == 201)
            #expect(linked.body.isEmpty)
            #expect(try await c.linkBridge(a.access, sessionId, bridge).status == 201)  // same link again: no-op
            var idsHeader = c.bearer(a.access)
            idsHeader[HTTPField.Name("X-PSN-SESSION-MANAGER-SESSION-IDS")!] = sessionId
            let party = try await c.request(.get, "/api/sessionManager/v2/partySessions?view=v3", headers: idsHeader)
            let bridges = try #require(party.json?["partySessions"]?.arrayValue?.first?["bridges"]?.arrayValue)
            #expect(bridges.count == 1)
            #expect(bridges.first?.objectValue?.keys == ["bridgeId", "bridgeEtag"])
            #expect(bridges.first?["bridgeId"] == .string(bridge.id))
            #expect(!party.body.contains(bridge.token))

            let added = try await c.addPeer(a.access, bridge.id, token: bridge.token)
            #expect(added.status == 201)
            let peer = try #require(added.json?["peer"]?.objectValue)
            #expect(peer.keys == ["peerId", "offer"])
            let peerId = try #require(peer["peerId"]?.stringValue)
            let sdp = try #require(peer["offer"]?["sdp"]?.stringValue)
            #expect(sdp.hasSuffix("\r\n"))
            let lines = sdp.components(separatedBy: "\r\n").dropLast()
            #expect(lines.count == Self.offerPattern.count)
            for (line, pattern) in zip(lines, Self.offerPattern) {
                #expect(Self.matches(line, pattern), "\(line) does not match \(pattern)")
            }
            let ufrag = try #require(Self.attribute(sdp, "a=ice-ufrag:"))
            let pwd = try #require(Self.attribute(sdp, "a=ice-pwd:"))
            let fingerprint = try #require(Self.attribute(sdp, "a=fingerprint:sha-256 "))
            #expect(ufrag.count >= 4 && pwd.count >= 22)
            #expect(fingerprint.split(separator: ":").count == 32)

            let second = try await c.addPeer(a.access, bridge.id, token: bridge.token)
            #expect(second.status == 201)
            let secondSdp = try #require(second.json?["peer"]?["offer"]?["sdp"]?.stringValue)
            let secondPeerId = try #require(second.json?["peer"]?["peerId"]?.stringValue)
            #expect(Self.attribute(secondSdp, "a=ice-ufrag:") != ufrag)
            #expect(Self.attribute(secondSdp, "a=ice-pwd:") != pwd)
            #expect(Self.attribute(secondSdp, "a=fingerprint:sha-256 ") != fingerprint)

            let peers = try await c.request(.get, "/api/rtcBridge/v1/bridges/\(bridge.id)?fields=peer.peerId",
                                            headers: c.bridgeHeaders(a.access, token: bridge.token))
            #expect(peers.status == 200)
            #expect(peers.json == .object(["bridge": .object(["peers": .array([
                .object(["peerId": .string(peerId)]), .object(["peerId": .string(secondPeerId)]),
            ])])]))

            let answered = try await c.answer(a.access, bridge.id, peerId, token: bridge.token, sdp: appAnswer)
            #expect(answered.status == 204)
            #expect(answered.body.isEmpty)
            let again = try await c.answer(a.access, bridge.id, peerId, token: bridge.token, sdp: appAnswer)
            #expect(again.status == 409)
            #expect(again.json?["error"]?["code"]?.intValue == 9_900_409)

            let reoffer = try await c.request(.post, "/api/rtcBridge/v1/bridges/\(bridge.id)/peers/\(peerId)/offer",
                                              headers: c.bridgeHeaders(a.access, token: bridge.token), body: SimClient.mediaTypes)
            #expect(reoffer.status == 200)
            let newSdp = try #require(reoffer.json?["offer"]?["sdp"]?.stringValue)
            #expect(newSdp.components(separatedBy: "\r\n")[1].hasSuffix(" 3 IN IP4 127.0.0.1"))
            #expect(try await c.answer(a.access, bridge.id, peerId, token: bridge.token, sdp: appAnswer).status == 204)

            let peerPath = "/api/rtcBridge/v1/bridges/\(bridge.id)/peers/\(peerId)"
            let deletedPeer = try await c.request(.delete, peerPath, headers: c.bridgeHeaders(a.access, token: bridge.token))
            #expect(deletedPeer.status == 202)
            #expect(deletedPeer.body.isEmpty)
            #expect(try await c.request(.delete, peerPath, headers: c.bridgeHeaders(a.access, token: bridge.token)).status == 404)
            let late = try await c.answer(a.access, bridge.id, peerId, token: bridge.token, sdp: appAnswer)
            #expect(late.status == 404)
            #expect(late.json?["error"]?["message"] == .string("Resource not found"))

            let bridgePath = "/api/rtcBridge/v1/bridges/\(bridge.id)"
            let deletedBridge = try await c.request(.delete, bridgePath, headers: c.bridgeHeaders(a.access, token: bridge.token))
            #expect(deletedBridge.status == 202)
            #expect(deletedBridge.body.isEmpty)
            #expect(try await c.request(.get, bridgePath, headers: c.bridgeHeaders(a.access, token: bridge.token)).status == 404)
            #expect(try await c.addPeer(a.access, bridge.id, token: bridge.token).status == 404)
            #expect(try await c.request(.delete, bridgePath, headers: c.bridgeHeaders(a.access, token: bridge.token)).status == 404)
            #expect(try await c.linkBridge(a.access, sessionId, bridge).status == 404)
        }
    }

    @Test("add peer before link → 409 (requireLinkBeforePeer); switch off → 201")
    func peerBeforeLink() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            _ = try await c.createParty(a.access)
            let bridge = try await c.createBridge(a.access)
            let early = try await c.addPeer(a.access, bridge.id, token: bridge.token)
            #expect(early.status == 409)
            #expect(early.json?["error"]?["code"]?.intValue == 9_900_409)
            #expect(early.json?["error"]?["referenceId"]?.stringValue != nil)
            _ = try await c.admin("faults", #"{"requireLinkBeforePeer":false}"#)
            #expect(try await c.addPeer(a.access, bridge.id, token: bridge.token).status == 201)
        }
    }

    @Test("X-PSN-BRIDGE-TOKEN missing or wrong → 403; requireBridgeTokenHeader off allows it missing only")
    func bridgeToken() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let b = try await c.signIn(Fixture.b)
            let sessionId = try await c.createParty(a.access)
            let bridge = try await c.createBridge(a.access)
            #expect(try await c.linkBridge(a.access, sessionId, (bridge.id, "wrong")).status == 403)
            #expect(try await c.linkBridge(a.access, sessionId, bridge).status == 201)
            for token in [nil, "wrong-token"] {
                let r = try await c.addPeer(a.access, bridge.id, token: token)
                #expect(r.status == 403)
                #expect(r.json?["error"]?["message"] == .string("Not permitted by access control"))
                #expect(!r.body.contains(bridge.token))
            }
            let peerId = try #require(try await c.addPeer(a.access, bridge.id, token: bridge.token).json?["peer"]?["peerId"]?.stringValue)
            #expect(try await c.answer(a.access, bridge.id, peerId, token: nil, sdp: appAnswer).status == 403)
            let peerPath = "/api/rtcBridge/v1/bridges/\(bridge.id)/peers/\(peerId)"
            #expect(try await c.request(.delete, peerPath, headers: c.bridgeHeaders(a.access, token: nil)).status == 403)
            #expect(try await c.request(.delete, "/api/rtcBridge/v1/bridges/\(bridge.id)", headers: c.bridgeHeaders(a.access, token: nil)).status == 403)
            // Another account never sees the bridge, even with its token.
            #expect(try await c.addPeer(b.access, bridge.id, token: bridge.token).status == 404)
            #expect(try await c.request(.post, "/api/rtcBridge/v1/bridges", body: "{}").status == 401)

            _ = try await c.admin("faults", #"{"requireBridgeTokenHeader":false}"#)
            #expect(try await c.answer(a.access, bridge.id, peerId, token: nil, sdp: appAnswer).status == 204)
            #expect(try await c.addPeer(a.access, bridge.id, token: "wrong-token").status == 403)
            #expect(try await c.request(.delete, "/api/rtcBridge/v1/bridges/\(bridge.id)", headers: c.bridgeHeaders(a.access, token: nil)).status == 202)
        }
    }

    @Test("second linked bridge for the same user and party → 409 Upper limit exceeded; delete releases it")
    func oneBridgePerUserPerParty() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let sessionId = try await c.createParty(a.access)
            let other = try await c.createParty(a.access)
            let first = try await c.createBridge(a.access)
            let second = try await c.createBridge(a.access)
            #expect(try await c.linkBridge(a.access, sessionId, first).status == 201)
            let over = try await c.linkBridge(a.access, sessionId, second)
            #expect(over.status == 409)
            #expect(over.json?["error"]?["message"] == .string("Upper limit exceeded"))
            #expect(over.json?["error"]?["code"]?.intValue == 9_900_409)
            #expect(try await c.linkBridge(a.access, other, second).status == 201)  // other party: fine
            let moved = try await c.linkBridge(a.access, other, first)
            #expect(moved.status == 409)

            let third = try await c.createBridge(a.access)
            #expect(try await c.request(.delete, "/api/rtcBridge/v1/bridges/\(first.id)", headers: c.bridgeHeaders(a.access, token: first.token)).status == 202)
            #expect(try await c.linkBridge(a.access, sessionId, third).status == 201)  // U24: immediate release

            _ = try await c.admin("faults", #"{"bridgeReleaseDelaySeconds":25}"#)
            let fourth = try await c.createBridge(a.access)
            #expect(try await c.request(.delete, "/api/rtcBridge/v1/bridges/\(third.id)", headers: c.bridgeHeaders(a.access, token: third.token)).status == 202)
            #expect(try await c.linkBridge(a.access, sessionId, fourth).status == 409)
            c.simulator.advanceClock(milliseconds: 26_000)
            #expect(try await c.linkBridge(a.access, sessionId, fourth).status == 201)
        }
    }

    @Test("garbage or incomplete answer SDP → 400 naming what is missing; a good answer is still accepted")
    func answerValidation() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let sessionId = try await c.createParty(a.access)
            let bridge = try await c.createBridge(a.access)
            _ = try await c.linkBridge(a.access, sessionId, bridge)
            let peerId = try #require(try await c.addPeer(a.access, bridge.id, token: bridge.token).json?["peer"]?["peerId"]?.stringValue)

            let garbage = try await c.answer(a.access, bridge.id, peerId, token: bridge.token, sdp: "hello world")
            #expect(garbage.status == 400)
            #expect(garbage.json?["error"]?["message"] == .string("Bad Request (body: sdp)"))

            let noFingerprint = appAnswer.components(separatedBy: "\r\n").filter { !$0.hasPrefix("a=fingerprint") }.joined(separator: "\r\n")
            let r = try await c.answer(a.access, bridge.id, peerId, token: bridge.token, sdp: noFingerprint)
            #expect(r.status == 400)
            #expect(r.json?["error"]?["message"] == .string("Bad Request (body: a=fingerprint)"))
            #expect(r.json?["error"]?["details"]?["missing"] == .array([.string("a=fingerprint")]))

            let bare = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
            let all = try await c.answer(a.access, bridge.id, peerId, token: bridge.token, sdp: bare)
            #expect(all.json?["error"]?["message"] == .string("Bad Request (body: a=fingerprint)"))
            #expect(all.json?["error"]?["details"]?["missing"] == .array(
                ["a=fingerprint", "a=ice-ufrag", "a=ice-pwd", "a=candidate"].map { .string($0) }))
            let noCandidate = appAnswer.components(separatedBy: "\r\n").filter { !$0.hasPrefix("a=candidate") }.joined(separator: "\r\n")
            #expect(try await c.answer(a.access, bridge.id, peerId, token: bridge.token, sdp: noCandidate).json?["error"]?["message"]
                == .string("Bad Request (body: a=candidate)"))
            let noBody = try await c.request(.post, "/api/rtcBridge/v1/bridges/\(bridge.id)/peers/\(peerId)/answer",
                                             headers: c.bridgeHeaders(a.access, token: bridge.token), body: #"{"sdp":"v=0"}"#)
            #expect(noBody.json?["error"]?["message"] == .string("Bad Request (body: answer)"))
            let badPeerBody = try await c.request(.post, "/api/rtcBridge/v1/bridges/\(bridge.id)/peers",
                                                  headers: c.bridgeHeaders(a.access, token: bridge.token), body: "{}")
            #expect(badPeerBody.json?["error"]?["message"] == .string("Bad Request (body: mediaTypes)"))

            #expect(try await c.answer(a.access, bridge.id, peerId, token: bridge.token, sdp: appAnswer).status == 204)
            // C.6: there is no trickle-ICE endpoint.
            let trickle = try await c.request(.post, "/api/rtcBridge/v1/bridges/\(bridge.id)/peers/\(peerId)/candidates",
                                              headers: c.bridgeHeaders(a.access, token: bridge.token), body: "{}")
            #expect(trickle.status == 404)
        }
    }

    @Test("leaving the party deletes the member's bridges and peers there")
    func leaveRemovesBridge() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let b = try await c.signIn(Fixture.b)
            let sessionId = try await c.createParty(a.access)
            _ = try await c.invite(a.access, sessionId, Fixture.b.accountId)
            #expect(try await c.join(b.access, sessionId).status == 201)
            let bridgeA = try await c.createBridge(a.access)
            let bridgeB = try await c.createBridge(b.access)
            #expect(try await c.linkBridge(a.access, sessionId, bridgeA).status == 201)
            #expect(try await c.linkBridge(b.access, sessionId, bridgeB).status == 201)
            #expect(try await c.addPeer(a.access, bridgeA.id, token: bridgeA.token).status == 201)
            #expect(try await c.leave(a.access, sessionId).status == 204)

            let gone = try await c.request(.get, "/api/rtcBridge/v1/bridges/\(bridgeA.id)", headers: c.bridgeHeaders(a.access, token: bridgeA.token))
            #expect(gone.status == 404)
            let kept = try await c.request(.get, "/api/rtcBridge/v1/bridges/\(bridgeB.id)", headers: c.bridgeHeaders(b.access, token: bridgeB.token))
            #expect(kept.status == 200)
            let state = try await c.request(.get, "/sim/admin/rtc")
            #expect(state.json?["bridges"]?.arrayValue?.map { $0["bridgeId"] } == [.string(bridgeB.id)])
            #expect(!state.body.contains(bridgeB.token))
            // After leaving, linking into that party is refused.
            let fresh = try await c.createBridge(a.access)
            #expect(try await c.linkBridge(a.access, sessionId, fresh).status == 404)
        }
    }

    @Test("timing checks (H 14) are off by default; when on, early links and late answers are counted")
    func timingChecks() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let sessionId = try await c.createParty(a.access)
            let quiet = try await c.createBridge(a.access)
            _ = try await c.linkBridge(a.access, sessionId, quiet)
            #expect(c.simulator.bridgeTimingFlagCount == 0)
            _ = try await c.request(.delete, "/api/rtcBridge/v1/bridges/\(quiet.id)", headers: c.bridgeHeaders(a.access, token: quiet.token))

            // A huge early-link threshold keeps the check deterministic on a loaded machine.
            _ = try await c.admin("faults", #"{"bridgeTimingChecks":true,"bridgeMinLinkDelayMs":600000}"#)
            let bridge = try await c.createBridge(a.access)
            #expect(try await c.linkBridge(a.access, sessionId, bridge).status == 201)
            #expect(c.simulator.bridgeTimingFlagCount == 1)
            let peerId = try #require(try await c.addPeer(a.access, bridge.id, token: bridge.token).json?["peer"]?["peerId"]?.stringValue)
            c.simulator.advanceClock(milliseconds: 11_000)
            #expect(try await c.answer(a.access, bridge.id, peerId, token: bridge.token, sdp: appAnswer).status == 204)
            let state = try await c.request(.get, "/sim/admin/rtc")
            #expect(state.json?["timingFlagCount"]?.intValue == 2)
            #expect(state.json?["timingFlags"]?.arrayValue?.map { $0["kind"] } == [.string("linkTooSoon"), .string("answerTooLate")])
        }
    }
}
