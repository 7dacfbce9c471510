import Foundation
import PSN
import PSNSimulator
import PSNSimulatorMedia
import PSNTestSupport
import PartyBusCore
import PartyBusTestSupport
import PartyVoice
import Testing
import Voice

/// Our client against the simulator's scripted members, each a real webrtcbin peer with its own tone that records
/// what it hears, and the rtcBridge bridge peer recording our uplink.
@Suite("Party voice with the simulator's media members", .serialized)
struct SimulatedMembersTests {
    static let carol = SimulatedAccount(accountId: "4234567890123456783", onlineId: "sim-carol", npsso: String(repeating: "c", count: 64))

    @Test("three remote members at once are each heard, each hears us, and the bridge uplink records our tone")
    func threeMembersAndBridge() async throws {
        let dir = try TemporaryDirectory()
        let options = SimulatorMediaOptions(
            recordDirectory: dir.path("recordings"),
            sources: [TestAccounts.alice.accountId: .tone(440), TestAccounts.bob.accountId: .tone(550), Self.carol.accountId: .tone(770)])
        let configuration = simulatorConfiguration { $0.accounts.append(Self.carol) }
        try await PSNSimulator.withMedia(options, configuration: configuration) { simulator, media in
            let me = try await VoiceMember(simulator: simulator, account: TestAccounts.me, tone: 660, bridge: true)
            let members = [TestAccounts.alice, TestAccounts.bob, Self.carol]
            let sessionId = try await me.harness.client.parties.create(name: "media")
            try await me.harness.client.parties.invite(sessionId, accountIds: members.map(\.accountId))
            for member in members {
                _ = try simulator.perform(actor: member.onlineId, action: "join", args: ["sessionId": .string(sessionId)])
            }
            for member in members {
                let heard = try await me.waitFor("voice.first_audio", containing: member.accountId)
                #expect(heard, "\(member.onlineId) heard\n\(me.voiceHistory())\n\(me.receivedSDPs())")
            }
            // Speaking indicators (the detector on each meter's streaming thread): every member's tone and our own.
            func speaking(_ peer: String, _ on: Bool) throws -> Bool {
                try me.events("voice.speaking").contains {
                    $0.payloadText.contains("\"peer\":\"\(peer)\"") && $0.payloadText.contains("\"speaking\":\(on)")
                }
            }
            for peer in members.map(\.accountId) + ["me"] {
                #expect(try await eventually(timeout: .seconds(10)) { try speaking(peer, true) }, "\(peer) speaking\n\(me.voiceHistory())")
            }
            let status = await me.voice.status().peers.filter { peer in members.contains { $0.accountId == peer.peer } }
            #expect(status.count == 3 && status.allSatisfy(\.speaking), "voice status: every member speaking: \(status)")
            #expect(try await me.waitFor("voice.bridge_connected"))
            // The uplink flows once the bridge peer's ICE is up.
            #expect(try await eventually {
                try me.events("voice.peer_state").contains {
                    $0.payloadText.contains("\"peer\":\"bridge\"")
                        && ($0.payloadText.contains("\"state\":\"connected\"") || $0.payloadText.contains("\"state\":\"completed\""))
                }
            }, "\(me.voiceHistory())")
            let bridgeId = try #require(try me.events("voice.bridge_connected").first?.decode(BridgeRef.self).bridgeId)
            // Media may follow ICE by a DTLS retransmission or two: wait until every recording has our tone.
            let bridgeFile = media.bridgeRecordingPath(bridgeId: bridgeId)
            let recordings = [bridgeFile] + members.map { media.recordingPath(account: $0.accountId, session: sessionId) }
            let reached = try await eventually(timeout: .seconds(15)) {
                recordings.allSatisfy { ((try? AudioAnalysis.tail($0, 660, seconds: 0.5)) ?? 0) > 1e-4 }
            }
            #expect(reached, "our tone reached the bridge and every member: \(recordings.map { ((try? AudioAnalysis.tail($0, 660, seconds: 0.5)) ?? -1) })\n\(me.voiceHistory())")
            // Muted, our tone leaves the micmeter: we stop speaking (five quiet readings), the members do not.
            try await me.voice.setMuted(true)
            #expect(try await eventually(timeout: .seconds(10)) { try speaking("me", false) }, "me quiet when muted\n\(me.voiceHistory())")
            #expect(try members.allSatisfy { try !speaking($0.accountId, false) }, "the members still speak")
            try await Task.sleep(for: .seconds(1))
            await me.stopVoice()
            await media.stopAll()

            for (member, tone) in zip(members, [440.0, 550, 770]) {
                let heard = try AudioAnalysis.tail(me.output, tone), own = try AudioAnalysis.tail(me.output, 660)
                // A 0.3 sine decoded from Opus measures about 1000 here; leakage of the other tones about 1e-3.
                #expect(heard > 1 && heard > 50 * own, "\(member.onlineId)'s \(tone) Hz in our mix (\(heard) vs our own \(own))")
                let theirs = media.recordingPath(account: member.accountId, session: sessionId)
                // Their recording goes on (in silence from us) until the simulator stops: look at its loudest second.
                let ours = try AudioAnalysis.strongest(theirs, 660), unused = try AudioAnalysis.strongest(theirs, 990)
                #expect(ours > 1e-4, "\(member.onlineId) hears our 660 Hz (\(ours))")
                // 990 Hz is nobody's tone here: what the recording has there is leakage and noise.
                #expect(ours > 20 * unused, "\(member.onlineId): our 660 Hz (\(ours)) vs unused 990 Hz (\(unused))")
            }
            #expect(await media.waitUntilFinished(recording: bridgeFile))
            let uplink = try AudioAnalysis.strongest(bridgeFile, 660), other = try AudioAnalysis.strongest(bridgeFile, 440)
            #expect(uplink > 1e-4 && uplink > 50 * other, "the bridge recorded our uplink tone (\(uplink) vs \(other))")
            #expect(simulator.bridgeCount(accountId: TestAccounts.me.accountId) == 0)
        }
    }

    private struct BridgeRef: Decodable { var bridgeId: String }
}
