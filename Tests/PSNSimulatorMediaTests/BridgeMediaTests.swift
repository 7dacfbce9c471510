import Foundation
import HTTPTypes
import PSNSimulator
import PSNSimulatorMedia
import PartyBusTestSupport
import Testing
import Voice

extension SimulatorMediaTests {
    /// rtcBridge peers backed by a real recvonly webrtcbin (C.3–C.8).
    @Suite("rtcBridge media")
    struct BridgeMediaTests {
        typealias F = MediaFixture
        static let mediaTypes = #"{"mediaTypes":{"application":{"isRequired":true},"audio":{"isRequired":true,"opus":[{"bitrate":40,"channels":1,"codec":"CELT","ptime":40,"samplingRates":[16000]}]}}}"#

        @Test("add peer returns a real recvonly offer in the C.8 shape; the answerer's tone is recorded")
        func bridgeRecordsUplink() async throws {
            let dir = try TemporaryDirectory()
            try await F.withMedia(dir) { sim, media in
                var client = RawClient(port: try #require(sim.port))
                try await client.signIn(npsso: F.client.npsso)
                let session = try await client.createParty()
                let created = try await client.request(.post, "/api/rtcBridge/v1/bridges", body: "{}")
                let bridge = try #require(created.json?["bridge"] as? [String: Any])
                let bridgeId = try #require(bridge["bridgeId"] as? String)
                let token = try #require(bridge["bridgeToken"] as? String)
                let link = #"{"bridges":[{"bridgeId":"\#(bridgeId)","bridgeToken":"\#(token)"}]}"#
                #expect(try await client.request(.post, "/api/sessionManager/v2/partySessions/\(session)/bridges",
                                                  body: link).status == 201)
                let tokenHeader = ["X-PSN-BRIDGE-TOKEN": token]
                let added = try await client.request(
                    .post, "/api/rtcBridge/v1/bridges/\(bridgeId)/peers?allow_duid_duplication=false&g=2",
                    body: Self.mediaTypes, headers: tokenHeader)
                #expect(added.status == 201)
                let peer = try #require(added.json?["peer"] as? [String: Any])
                let peerId = try #require(peer["peerId"] as? String)
                let offer = try #require((peer["offer"] as? [String: Any])?["sdp"] as? String)
                for line in ["a=recvonly", "a=rtpmap:111 opus/16000/2", "a=fmtp:111 minptime=10;stereo=0;useinbandfec=1",
                             "a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:sha-256 ", "a=candidate:", "a=ptime:40"] {
                    #expect(offer.contains(line), "offer has \(line)")
                }
                #expect(!offer.contains("a=sendrecv"))
                #expect(offer.contains(" 127.0.0.1 "), "a loopback candidate")
                #expect(media.bridgePeers(bridgeId: bridgeId) == [peerId])

                let graph = try VoiceGraph(spec: F.headless(tone: 660, output: dir.path("client.wav")))
                try await graph.start()
                let answer = try await graph.answer(
                    peer: "bridge", offer: offer, settings: PeerSettings(receive: false, localAddresses: ["127.0.0.1"]))
                #expect(answer.contains("a=sendonly"))
                #expect(answer.lowercased().contains("opus/16000/2"))
                let body = try JSONSerialization.data(withJSONObject: ["answer": ["sdp": answer]], options: [.withoutEscapingSlashes])
                #expect(try await client.request(.post, "/api/rtcBridge/v1/bridges/\(bridgeId)/peers/\(peerId)/answer",
                                                  body: String(decoding: body, as: UTF8.self), headers: tokenHeader).status == 204)
                try await Task.sleep(for: .seconds(3))
                #expect(try await client.request(.delete, "/api/rtcBridge/v1/bridges/\(bridgeId)/peers/\(peerId)",
                                                  headers: tokenHeader).status == 202)
                #expect(try await client.request(.delete, "/api/rtcBridge/v1/bridges/\(bridgeId)",
                                                  headers: tokenHeader).status == 202)
                let path = media.bridgeRecordingPath(bridgeId: bridgeId)
                #expect(path.hasSuffix("/bridge-\(bridgeId).wav"))
                #expect(await media.waitUntilFinished(recording: path), "deleting the bridge finished its recording")
                await graph.finish()
                #expect(try Audio.duration(path) > 2)
                let tone = try Audio.power(path, 660, lastSeconds: 60)
                #expect(tone > 1e-5, "the bridge recorded the uplink's 660 Hz (\(tone))")
                #expect(tone > 20 * (try Audio.power(path, 990, lastSeconds: 60)))
            }
        }
    }
}
