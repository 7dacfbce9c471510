import Foundation
import PSN
import PSNSimulator
import PSNTestSupport
import PartyBusCore
import PartyBusTestSupport
import PartyVoice
import Testing
import Voice

/// Party voice between two PartyBus clients through the simulator: miranda:12 offers and answers over REST
/// customMessage and push, webrtcbin on loopback, tones checked with Goertzel.
@Suite("Party voice through the simulator", .serialized)
struct PartyVoiceTests {
    /// Me (660 Hz) creates a party, alice (440 Hz) joins; both start voice automatically.
    static func pair(_ simulator: PSNSimulator, bridge: Bool = false, graph: URL = VoiceMember.headlessGraph) async throws
        -> (me: VoiceMember, alice: VoiceMember, sessionId: String)
    {
        let me = try await VoiceMember(simulator: simulator, account: TestAccounts.me, tone: 660, bridge: bridge, graph: graph)
        let alice = try await VoiceMember(simulator: simulator, account: TestAccounts.alice, tone: 440)
        let sessionId = try await me.harness.client.parties.create(name: "voice")
        try await me.harness.client.parties.invite(sessionId, accountIds: [TestAccounts.alice.accountId])
        try await alice.harness.client.parties.join(sessionId)
        return (me, alice, sessionId)
    }

    @Test("two-way audio: our tone is in the member's mix, theirs in ours; the bridge uplink is answered and deleted")
    func twoWay() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let (me, alice, _) = try await Self.pair(simulator, bridge: true)
            #expect(try await me.waitFor("voice.first_audio", containing: TestAccounts.alice.accountId), "\(me.voiceHistory())")
            #expect(try await alice.waitFor("voice.first_audio", containing: TestAccounts.me.accountId), "\(alice.voiceHistory())")
            #expect(try await me.waitFor("voice.bridge_connected"))
            if ProcessInfo.processInfo.environment["VOICE_DEBUG"] != nil {
                for (name, member) in [("me", me), ("alice", alice)] {
                    for event in try member.harness.log.read(filter: .all) where event.type.hasPrefix("voice") || event.type.hasPrefix("party") {
                        print("DBG", name, event.type, event.payloadText.prefix(300))
                    }
                    print("DBG", name, member.harness.memory.all.suffix(20))
                }
            }
            // Existing members offer to newcomers: we offered, alice answered.
            #expect(try me.events("voice.peer_added").contains { $0.payloadText.contains("offerer") })
            #expect(try alice.events("voice.peer_added").contains { $0.payloadText.contains("answerer") })
            try await Task.sleep(for: .seconds(2))
            await me.stopVoice()
            await alice.stopVoice()
            let meHears440 = try AudioAnalysis.tail(me.output, 440), meHears660 = try AudioAnalysis.tail(me.output, 660)
            let aliceHears660 = try AudioAnalysis.tail(alice.output, 660), aliceHears440 = try AudioAnalysis.tail(alice.output, 440)
            #expect(meHears440 > 1e-4 && meHears440 > 50 * meHears660, "we hear alice's 440 Hz (\(meHears440) vs \(meHears660))")
            #expect(aliceHears660 > 1e-4 && aliceHears660 > 50 * aliceHears440, "alice hears our 660 Hz (\(aliceHears660) vs \(aliceHears440))")
            // Our stop is quiet.
            #expect(try me.events("voice.error").isEmpty, "\(me.voiceHistory())")
            // Stopping deleted the bridge peer and the bridge (C.7): no bridge is left for us.
            #expect(try me.events("voice.bridge_failed").isEmpty)
            #expect(simulator.bridgeCount(accountId: TestAccounts.me.accountId) == 0)
        }
    }

    @Test("mute removes our tone from the member's mix; volume 0 removes the member's tone from ours")
    func muteAndVolume() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let (me, alice, _) = try await Self.pair(simulator)
            #expect(try await me.waitFor("voice.first_audio"))
            #expect(try await alice.waitFor("voice.first_audio"))
            try await Task.sleep(for: .seconds(1.5))
            try await me.voice.setMuted(true)
            try await me.voice.setVolume(0, of: TestAccounts.alice.accountId)
            await #expect(throws: VoiceError.self) { try await me.voice.setVolume(0.5, of: "999") }
            await #expect(throws: VoiceError.self) { try await me.voice.setVolume(11, of: TestAccounts.alice.accountId) }
            let status = await me.voice.status()
            #expect(status.muted && status.peers.first { $0.peer == TestAccounts.alice.accountId }?.volume == 0)
            try await Task.sleep(for: .seconds(1.5))
            await me.stopVoice()
            await alice.stopVoice()
            #expect(try me.events("voice.mute_changed").count == 1)
            let (aliceMix, rate) = try AudioAnalysis.mono(alice.output)
            let (myMix, _) = try AudioAnalysis.mono(me.output)
            // Alice heard our tone before the mute and not after it.
            let beforeMute = AudioAnalysis.power(of: 660, in: aliceMix.dropLast(Int(1.6 * Double(rate))).suffix(rate / 2), rate: rate)
            let afterMute = AudioAnalysis.power(of: 660, in: aliceMix.suffix(rate / 2), rate: rate)
            #expect(beforeMute > 1e-4 && afterMute < beforeMute / 100, "muted: \(beforeMute) → \(afterMute)")
            let beforeVolume = AudioAnalysis.power(of: 440, in: myMix.dropLast(Int(1.6 * Double(rate))).suffix(rate / 2), rate: rate)
            let afterVolume = AudioAnalysis.power(of: 440, in: myMix.suffix(rate / 2), rate: rate)
            #expect(beforeVolume > 1e-4 && afterVolume < beforeVolume / 100, "volume 0: \(beforeVolume) → \(afterVolume)")
        }
    }

    @Test("garbage payload, garbage SDP, an offer from a non-member and an unasked answer are rejected; voice keeps running")
    func badSignals() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let (me, alice, sessionId) = try await Self.pair(simulator)
            #expect(try await me.waitFor("voice.first_audio"))
            func inject(_ payload: String, from: String) async throws {
                _ = try await me.harness.log.append(EventDraft(
                    stream: "party/\(sessionId)",
                    payload: PartyCustomMessage(sessionId: sessionId, channel: "miranda:12", payload: payload, fromAccountId: from, fromPlatform: "PS5"),
                    source: .sim))
            }
            func message(_ kind: PSN.MirandaMessage.Kind, from: String, sdp: String) throws -> String {
                try PSN.MirandaMessage(
                    kind: kind, from: .init(accountId: from, platform: 5), to: .init(accountId: TestAccounts.me.accountId, platform: 100_001),
                    globalSequenceNumber: 9, sdp: sdp).payload()
            }
            let aliceId = TestAccounts.alice.accountId
            try await inject("ver=1.0, type=binary, body=!!!not base64", from: aliceId)
            try await inject(try message(.offer, from: "4444444444444444444", sdp: "v=0\r\n"), from: "4444444444444444444")
            try await inject(try message(.offer, from: aliceId, sdp: "v=0\r\nthis is not an SDP\r\n"), from: aliceId)
            try await inject(try message(.answer, from: TestAccounts.bob.accountId, sdp: "v=0\r\n"), from: TestAccounts.bob.accountId)
            #expect(try await eventually { try me.events("voice.signal_rejected").count >= 4 })
            let reasons = try me.events("voice.signal_rejected").map(\.payloadText)
            #expect(reasons.contains { $0.contains("base64") })
            #expect(reasons.contains { $0.contains("not a member") })
            #expect(reasons.contains { $0.contains("SDP") })
            #expect(await me.voice.status().running)
            _ = alice
        }
    }

    @Test("editing the graph file rebuilds voice; a broken edit is refused and the running graph stays")
    func hotReload() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let dir = try TemporaryDirectory()
            let graph = URL(fileURLWithPath: dir.path("graph.yaml"))
            let original = try String(contentsOf: VoiceMember.headlessGraph, encoding: .utf8)
            try original.write(to: graph, atomically: true, encoding: .utf8)
            let (me, alice, _) = try await Self.pair(simulator, graph: graph)
            #expect(try await alice.waitFor("voice.first_audio"))
            try await Task.sleep(for: .seconds(1.1))
            try original.replacingOccurrences(of: "element: opusenc", with: "element: opusenk").write(to: graph, atomically: true, encoding: .utf8)
            #expect(try await me.waitFor("voice.graph_changed", containing: "opusenk"))
            let refused = try me.events("voice.graph_changed").last!.payloadText
            #expect(refused.contains("\"accepted\":false") && refused.contains("graph.yaml:"), "\(refused)")
            #expect(await me.voice.status().running)
            try await Task.sleep(for: .seconds(1.1))
            // A good edit: the tone becomes 880 Hz; voice restarts and offers to alice again.
            try original.replacingOccurrences(of: "freq: \"${test.tone:-660}\"", with: "freq: 880").write(to: graph, atomically: true, encoding: .utf8)
            #expect(try await me.waitFor("voice.graph_changed", containing: "\"accepted\":true"))
            #expect(try await eventually { try alice.events("voice.first_audio").count >= 2 })
            try await Task.sleep(for: .seconds(1.5))
            await me.stopVoice()
            await alice.stopVoice()
            let new = try AudioAnalysis.tail(alice.output, 880, seconds: 1), old = try AudioAnalysis.tail(alice.output, 660, seconds: 1)
            #expect(new > 1e-4 && new > 50 * old, "alice hears the edited graph's 880 Hz (\(new) vs \(old))")
        }
    }

    @Test("a member leaving mid-call tears down only its peer; the other member is still heard")
    func memberLeaves() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let (me, alice, sessionId) = try await Self.pair(simulator)
            let bob = try await VoiceMember(simulator: simulator, account: TestAccounts.bob, tone: 880)
            try await me.harness.client.parties.invite(sessionId, accountIds: [TestAccounts.bob.accountId])
            try await bob.harness.client.parties.join(sessionId)
            #expect(try await me.waitFor("voice.first_audio", containing: TestAccounts.bob.accountId), "\(me.voiceHistory())")
            #expect(try await me.waitFor("voice.first_audio", containing: TestAccounts.alice.accountId), "\(me.voiceHistory())")
            // Bob was offered by both earlier members.
            #expect(try await bob.waitFor("voice.first_audio", containing: TestAccounts.alice.accountId))
            try await bob.harness.client.parties.leave(sessionId)
            #expect(try await me.waitFor("voice.peer_removed", containing: TestAccounts.bob.accountId))
            #expect(await me.voice.status().peers.map(\.peer) == [TestAccounts.alice.accountId])
            try await Task.sleep(for: .seconds(1.5))
            await me.stopVoice()
            await alice.stopVoice()
            let alicePower = try AudioAnalysis.tail(me.output, 440), bobPower = try AudioAnalysis.tail(me.output, 880)
            #expect(alicePower > 1e-4 && alicePower > 50 * bobPower, "alice still heard, bob gone (\(alicePower) vs \(bobPower))")
            #expect(try me.events("voice.peer_removed").count == 1, "\(me.voiceHistory())")
            // Bob leaving and our stop are normal teardown: no voice.error (alice's side may see our stop as a member
            // gone silent, but nothing about bob).
            #expect(try me.events("voice.error").isEmpty, "\(me.voiceHistory())")
            #expect(try alice.events("voice.error").filter { $0.payloadText.contains(TestAccounts.bob.accountId) }.isEmpty,
                    "\(alice.voiceHistory())")
        }
    }

    @Test("glare: when both offered, the earlier member's offer stands and the later one answers it")
    func glare() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            // Alice signs in without voice, so our offer to her stays unanswered; her offers are made by a graph of
            // the test and arrive in our log as the push translator would put them there.
            let me = try await VoiceMember(simulator: simulator, account: TestAccounts.me, tone: 660)
            let alice = try ClientHarness(simulator: simulator)
            try await alice.client.tokens.signIn(npsso: Secret(TestAccounts.alice.npsso))
            let dir = try TemporaryDirectory()
            let aliceGraph = try VoiceGraph(spec: GraphFile.load(
                VoiceMember.headlessGraph.path, variables: ["test.tone": "440", "test.output": dir.path("alice.wav")]))
            try await aliceGraph.start()
            let aliceId = TestAccounts.alice.accountId
            func offerFromAlice(_ peer: String, in sessionId: String) async throws {
                let sdp = try await aliceGraph.offer(peer: peer, settings: PeerSettings(localAddresses: ["127.0.0.1"]))
                _ = try await me.harness.log.append(EventDraft(
                    stream: "party/\(sessionId)",
                    payload: PartyCustomMessage(
                        sessionId: sessionId, channel: "miranda:12",
                        payload: try PSN.MirandaMessage(
                            kind: .offer, from: .init(accountId: aliceId, platform: 5),
                            to: .init(accountId: TestAccounts.me.accountId, platform: 100_001), globalSequenceNumber: 1, sdp: sdp
                        ).payload(),
                        fromAccountId: aliceId, fromPlatform: "PS5"),
                    source: .sim))
            }

            // 1. We joined first (joinOrder 1) and offered to alice; her crossing offer loses.
            let sessionId = try await me.harness.client.parties.create(name: "glare")
            try await me.harness.client.parties.invite(sessionId, accountIds: [aliceId])
            try await alice.client.parties.join(sessionId)
            #expect(try await me.waitFor("voice.peer_added", containing: "offerer"))
            try await Task.sleep(for: .milliseconds(800))
            try await offerFromAlice("first", in: sessionId)
            #expect(try await me.waitFor("voice.signal_rejected", containing: "glare"))
            #expect(await me.voice.status().peers.first { $0.peer == aliceId }?.role == "offerer")

            // 2. Alice is the earlier member of a new party; our fallback offer crosses hers, and hers wins.
            try await me.harness.client.parties.leave(sessionId)
            try await alice.client.parties.leave(sessionId)
            let second = try await alice.client.parties.create(name: "glare 2")
            try await alice.client.parties.invite(second, accountIds: [TestAccounts.me.accountId])
            try await me.harness.client.parties.join(second)
            // No offer from alice within the fallback delay (3 s): we offer ourselves …
            #expect(try await eventually(timeout: .seconds(10)) {
                try me.events("voice.peer_added").filter { $0.payloadText.contains(second) && $0.payloadText.contains("offerer") }.count == 1
            }, "\(me.voiceHistory())")
            try await Task.sleep(for: .milliseconds(800))
            // … and then hers arrives: she joined first, so we drop ours and answer.
            try await offerFromAlice("second", in: second)
            #expect(try await eventually {
                try me.events("voice.peer_added").contains { $0.payloadText.contains(second) && $0.payloadText.contains("answerer") }
            })
            #expect(try me.events("voice.peer_removed").contains { $0.payloadText.contains("renegotiation") })
            await me.stopVoice()
            await aliceGraph.stop()
        }
    }
}
