import Foundation
import HTTPTypes
import PSNSimulator
import PSNSimulatorMedia
import PartyBusTestSupport
import Testing

extension SimulatorMediaTests {
    /// Scripted members with real webrtcbin peers, all inside one simulator (loopback ICE).
    @Suite("Scripted members' media")
    struct MemberMediaTests {
        typealias F = MediaFixture

        /// Alice and Bob in a party, then Carol joins; returns when every member has both others as peers.
        static func threeMemberParty(_ sim: PSNSimulator, _ media: SimulatorMedia) async throws -> String {
            let session = try F.createParty(sim, F.alice)
            try F.join(sim, F.bob, session)
            #expect(await eventually(timeout: .seconds(5)) {
                media.peers(of: "alice_sim") == [F.bob.accountId] && media.peers(of: "bob_sim") == [F.alice.accountId]
            }, "Alice offered to Bob and Bob answered")
            try F.join(sim, F.carol, session)
            #expect(await eventually(timeout: .seconds(5)) {
                media.peers(of: "carol_sim") == [F.alice.accountId, F.bob.accountId]
            }, "both existing members offered to Carol and she answered both (peers: \(media.peers(of: "carol_sim")))")
            return session
        }

        @Test("both existing members offer to a newcomer, and each recording has the other members' tones")
        func newcomerHearsAndIsHeard() async throws {
            let dir = try TemporaryDirectory()
            try await F.withMedia(dir) { sim, media in
                let session = try await Self.threeMemberParty(sim, media)
                try await Task.sleep(for: .seconds(3))
                await media.stopAll()
                // Default tones in account order: Alice 440, Bob 550, Carol 770; 990 Hz belongs to nobody here.
                for (name, own, heard) in [("alice_sim", 440.0, [550.0, 770.0]), ("bob_sim", 550, [440, 770]),
                                           ("carol_sim", 770, [440, 550])] {
                    let path = media.recordingPath(account: name, session: session)
                    #expect(path.hasSuffix("/\(session)-\(name).wav"))
                    let absent = try Audio.power(path, 990)
                    let self_ = try Audio.power(path, own)
                    for frequency in heard {
                        let power = try Audio.power(path, frequency)
                        #expect(power > 1e-4, "\(name) hears \(frequency) Hz (\(power))")
                        #expect(power > 20 * absent, "\(name): \(frequency) Hz (\(power)) vs absent 990 Hz (\(absent))")
                        #expect(power > 20 * self_, "\(name) does not hear itself: \(frequency) Hz (\(power)) vs \(own) Hz (\(self_))")
                    }
                }
            }
        }

        @Test("a member who leaves takes only its own peers away, and its recording is finished")
        func leaverRemovesOnlyItsPeer() async throws {
            let dir = try TemporaryDirectory()
            try await F.withMedia(dir) { sim, media in
                let session = try await Self.threeMemberParty(sim, media)
                try await Task.sleep(for: .seconds(2))
                try sim.perform(actor: "carol_sim", action: "leave", args: ["sessionId": .string(session)])
                #expect(await eventually(timeout: .seconds(5)) {
                    media.peers(of: "alice_sim") == [F.bob.accountId] && media.peers(of: "bob_sim") == [F.alice.accountId]
                }, "Alice and Bob keep each other and lose only Carol")
                let carol = media.recordingPath(account: "carol_sim", session: session)
                #expect(await media.waitUntilFinished(recording: carol), "Carol's graph finished when she left")
                #expect(media.peers(of: "carol_sim").isEmpty)
                try await Task.sleep(for: .milliseconds(1500))
                await media.stopAll()

                let alice = media.recordingPath(account: "alice_sim", session: session)
                let bob = try Audio.power(alice, 550)
                let carolTone = try Audio.power(alice, 770)
                #expect(bob > 1e-4, "Alice still hears Bob after Carol left (\(bob))")
                let unused = try Audio.power(alice, 990)
                #expect(bob > 20 * unused, "Bob's 550 Hz (\(bob)) vs unused 990 Hz (\(unused)) in Alice's mix")
                #expect(carolTone < 1e-4 || bob > 20 * carolTone, "Carol's 770 Hz left Alice's mix (\(carolTone) vs Bob \(bob))")
                // Carol's recording ended when she left: look at its loudest second, not its last.
                let carolHeard = try AudioAnalysis.strongest(carol, 440), carolUnused = try AudioAnalysis.strongest(carol, 990)
                #expect(carolHeard > 1e-4, "Carol's finished recording has Alice (\(carolHeard))")
                #expect(carolHeard > 20 * carolUnused, "Carol: Alice's 440 Hz (\(carolHeard)) vs unused 990 Hz (\(carolUnused))")
                #expect(try Audio.duration(carol) > 1)
            }
        }

        @Test("a member can send an audio file instead of a tone")
        func fileSource() async throws {
            let dir = try TemporaryDirectory()
            try Audio.writeTone(dir.path("bob.wav"), frequency: 880, seconds: 8)
            try await F.withMedia(dir, sources: ["bob_sim": .file(dir.path("bob.wav"))]) { sim, media in
                let session = try F.createParty(sim, F.alice)
                try F.join(sim, F.bob, session)
                #expect(await eventually(timeout: .seconds(5)) { media.peers(of: "bob_sim") == [F.alice.accountId] })
                try await Task.sleep(for: .seconds(3))
                await media.stopAll()
                let alice = media.recordingPath(account: "alice_sim", session: session)
                let file = try Audio.power(alice, 880)
                #expect(file > 1e-4, "Alice hears Bob's file (\(file))")
                #expect(file > 20 * (try Audio.power(alice, 550)), "and not Bob's default tone")
            }
        }

        @Test("garbage customMessages to a scripted member are logged and ignored; it keeps working")
        func garbageIsIgnored() async throws {
            let dir = try TemporaryDirectory()
            try await F.withMedia(dir) { sim, media in
                let session = try F.createParty(sim, F.alice)
                var client = RawClient(port: try #require(sim.port))
                try await client.signIn(npsso: F.client.npsso)
                let push = client.push(accountId: F.client.accountId)
                defer { push.close() }
                #expect(await eventually(timeout: .seconds(5)) { sim.authenticatedPushSockets(accountId: F.client.accountId) == 1 })
                #expect(try await client.join(session).status == 201)
                #expect(await push.next("psn:sessionManager:sys:v2:ps:customMessage:noSeq:created") != nil,
                        "Alice offered to the client (which never answers)")

                let me = F.client.accountId, alice = F.alice.accountId
                let garbage = [
                    try TestMiranda.encode(type: "offer", sdp: "v=0\r\nthis is not an SDP", from: me, to: alice, seq: 1),
                    try TestMiranda.encode(type: "answer", sdp: "v=0\r\nm=audio but broken", from: me, to: alice, seq: 2),
                    try TestMiranda.encode(type: "answer", sdp: "v=0\r\n", from: me, to: alice, seq: 3),
                    TestMiranda.encode(json: #"{"from":{"account_id":"\#(me)","platform":100001},"sdp":"v=0\r\n","type":"offer"}"#, from: me),
                ]
                for payload in garbage {
                    #expect(try await client.customMessage(session, payload: payload, to: alice).status == 204)
                }
                #expect(try await client.customMessage(session, payload: garbage[0], to: alice, channel: "other:1").status == 204)

                // Alice still works: Bob joins, she offers, he answers.
                try F.join(sim, F.bob, session)
                #expect(await eventually(timeout: .seconds(5)) {
                    media.peers(of: "alice_sim").contains(F.bob.accountId) && media.peers(of: "bob_sim") == [alice]
                }, "Alice still offers after the garbage (peers \(media.peers(of: "alice_sim")))")
                #expect(media.peers(of: "alice_sim").contains(me), "the garbage left Alice's pending offer to the client alone")
                #expect(try await client.request(.get, "/api/sessionManager/v2/partySessions?view=v3",
                                                  headers: ["X-PSN-SESSION-MANAGER-SESSION-IDS": session]).status == 200)
            }
        }
    }
}
