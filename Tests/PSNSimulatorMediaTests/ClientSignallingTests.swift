import Foundation
import PSNSimulator
import PSNSimulatorMedia
import PartyBusTestSupport
import Testing
import Voice

extension SimulatorMediaTests {
    /// A client that knows only the wire (HTTP, push WebSocket, its own miranda codec, a `VoiceGraph`) talking to a
    /// scripted member.
    @Suite("A raw client and a scripted member")
    struct ClientSignallingTests {
        typealias F = MediaFixture

        @Test("a joining client gets the member's miranda offer by push, answers over REST, and each hears the other")
        func clientAnswersScriptedOffer() async throws {
            let dir = try TemporaryDirectory()
            try await F.withMedia(dir) { sim, media in
                let session = try F.createParty(sim, F.alice)
                var client = RawClient(port: try #require(sim.port))
                try await client.signIn(npsso: F.client.npsso)
                let push = client.push(accountId: F.client.accountId)
                defer { push.close() }
                #expect(await eventually(timeout: .seconds(5)) { sim.authenticatedPushSockets(accountId: F.client.accountId) == 1 })
                #expect(try await client.join(session).status == 201)

                // E.7 customMessage:noSeq:created carrying Alice's offer (D.2–D.6).
                let frame = try #require(await push.next("psn:sessionManager:sys:v2:ps:customMessage:noSeq:created"))
                let data = try #require((frame["body"] as? [String: Any])?["data"] as? [String: Any])
                let message = try #require(data["customMessage"] as? [String: Any])
                #expect(message["channel"] as? String == "miranda:12")
                let from = (data["customProperties"] as? [String: Any])?["from"] as? [String: Any]
                #expect(from?["accountId"] as? String == F.alice.accountId)
                let decoded = try TestMiranda.decode(try #require(message["payload"] as? String))
                #expect(decoded.sender == UInt64(F.alice.accountId))
                #expect(decoded.platform == 100_001)
                let json = decoded.json
                #expect(json["type"] as? String == "offer")
                #expect((json["from"] as? [String: Any])?["account_id"] as? String == F.alice.accountId)
                #expect((json["from"] as? [String: Any])?["platform"] as? Int == 100_001)
                #expect((json["to"] as? [String: Any])?["account_id"] as? String == F.client.accountId)
                #expect(json["sdp_sequence_number"] as? String == "1")
                #expect((json["global_seq_num"] as? Int ?? 0) >= 1)
                let keys = ["\"from\":", "\"global_seq_num\":", "\"medias\":", "\"sdp\":", "\"sdp_sequence_number\":",
                            "\"to\":", "\"type\":", "\"users\":"]
                let offsets = keys.compactMap { decoded.text.range(of: $0)?.lowerBound }
                #expect(offsets.count == keys.count && offsets == offsets.sorted(), "D.4 keys in alphabetical order")
                #expect(decoded.text.hasPrefix("{\"from\":{\"account_id\":\"\(F.alice.accountId)\",\"platform\":100001}"))
                let offer = try #require(json["sdp"] as? String)
                #expect(offer.contains("a=rtpmap:96 opus/16000/2"), "Opus written as PSN apps do")
                #expect(offer.contains("a=candidate:") && offer.contains("127.0.0.1"))

                let graph = try VoiceGraph(spec: F.headless(tone: 660, output: dir.path("client.wav")))
                try await graph.start()
                let answer = try await graph.answer(peer: F.alice.accountId, offer: offer, settings: F.loopback)
                #expect(answer.lowercased().contains("opus/16000/2"), "the answer keeps the offer's clock rate")
                let payload = try TestMiranda.encode(type: "answer", sdp: answer, from: F.client.accountId,
                                                     to: F.alice.accountId, seq: 1)
                #expect(try await client.customMessage(session, payload: payload, to: F.alice.accountId).status == 204)

                try await Task.sleep(for: .seconds(3))
                await media.stopAll()
                await graph.finish()
                let alice = media.recordingPath(account: F.alice.accountId, session: session)
                let heard = try Audio.power(alice, 660)
                #expect(heard > 1e-4, "Alice's recording has the client's 660 Hz (\(heard))")
                #expect(heard > 20 * (try Audio.power(alice, 990)))
                let back = try Audio.power(dir.path("client.wav"), 440)
                #expect(back > 1e-4, "the client hears Alice's 440 Hz (\(back))")
                let unused = try Audio.power(dir.path("client.wav"), 990)
                #expect(back > 20 * unused, "the client: Alice's 440 Hz (\(back)) vs unused 990 Hz (\(unused))")
            }
        }
    }
}
