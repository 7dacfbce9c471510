import Foundation
import PSN
import PSNSimulator
import PSNTestSupport
import PartyBusCore
import PartyBusTestSupport
import PartyVoice
import Testing
import Voice

/// Our client against a member on an independent WebRTC stack (aiortc in a Python process, configured like the
/// PlayStation app: Opus only as `opus/16000/2` at payload type 96, a data section, loopback ICE), talking to the
/// simulator as its own account: its own sign-in, push socket, miranda:12 codec and customMessage calls.
@Suite(
    "Interop with an aiortc member", .serialized,
    .enabled(if: AiortcMember.available, "needs Python with aiortc and websockets (scripts/test.sh installs them in .venv-test)"))
struct AiortcInteropTests {
    /// The aiortc member: bob (MOBILE_APP), sending 440 Hz. We send 660 Hz; 990 Hz is nobody's.
    static let member = TestAccounts.bob

    @Test("we offer in the app's shape to an aiortc member who joins; it answers; each hears the other")
    func weOffer() async throws {
        let dir = try TemporaryDirectory()
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let me = try await VoiceMember(simulator: simulator, account: TestAccounts.me, tone: 660)
            let sessionId = try await me.harness.client.parties.create(name: "interop")
            try await me.harness.client.parties.invite(sessionId, accountIds: [Self.member.accountId])
            let member = try AiortcMember(
                base: try #require(simulator.baseURL), account: Self.member, session: sessionId, join: true, tone: 440,
                record: dir.path("aiortc"))
            defer { member.stop() }
            #expect(await member.waitFor("answered"), "the aiortc member answered our offer\n\(member.transcript)\n\(me.voiceHistory())")
            #expect(try await me.waitFor("voice.first_audio", containing: Self.member.accountId),
                    "\(me.voiceHistory())\n\(member.transcript)")
            #expect(await member.waitFor("done", timeout: .seconds(40)), "\(member.transcript)")
            await me.stopVoice()
            _ = await member.waitForExit()

            // Our offer, as the member received it: the app's shape (D.4).
            let offer = try #require(member.events("answered").first?["offer"] as? String)
            for line in ["a=group:BUNDLE 0 1", "a=mid:0", "a=mid:1", "a=rtpmap:96 opus/16000/2",
                         "a=fmtp:96 minptime=10;stereo=0;useinbandfec=1", "a=ptime:40", "a=setup:actpass",
                         "UDP/DTLS/SCTP webrtc-datachannel", "a=sctp-port:5000"] {
                #expect(offer.contains(line), "our offer has \(line)\n\(offer)")
            }
            #expect(try me.events("voice.peer_added").contains { $0.payloadText.contains("offerer") })
            // The data section is real: the member saw our data channel open over DTLS/SCTP.
            #expect(!member.events("datachannel").isEmpty, "our data channel reached the member\n\(member.transcript)")
            try Self.checkBothHeard(ours: me.output, theirs: member.recordings(prefix: dir.path("aiortc")))
            #expect(try me.events("voice.error").isEmpty, "\(me.voiceHistory())")
        }
    }

    @Test("an aiortc member who was there first offers to us; we answer; each hears the other")
    func theyOffer() async throws {
        let dir = try TemporaryDirectory()
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let created = try simulator.perform(
                actor: Self.member.onlineId, action: "create", args: ["joinableUserType": .string("OPEN")])
            let sessionId = try #require(created["sessionId"]?.stringValue)
            let member = try AiortcMember(
                base: try #require(simulator.baseURL), account: Self.member, session: sessionId, join: false, tone: 440,
                record: dir.path("aiortc"))
            defer { member.stop() }
            #expect(await member.waitFor("push_open"), "\(member.transcript)")
            #expect(await eventually { simulator.authenticatedPushSockets(accountId: Self.member.accountId) >= 1 })
            _ = try simulator.perform(actor: Self.member.onlineId, action: "invite", args: [
                "sessionId": .string(sessionId), "to": .array([.string(TestAccounts.me.accountId)]),
            ])
            let me = try await VoiceMember(simulator: simulator, account: TestAccounts.me, tone: 660)
            try await me.harness.client.parties.join(sessionId)
            #expect(await member.waitFor("offered"), "\(member.transcript)")
            #expect(try await me.waitFor("voice.first_audio", containing: Self.member.accountId),
                    "\(me.voiceHistory())\n\(member.transcript)")
            #expect(await member.waitFor("done", timeout: .seconds(40)), "\(member.transcript)")
            await me.stopVoice()
            _ = await member.waitForExit()

            // The member offered (existing members offer to newcomers) and we answered with its mids.
            #expect(try me.events("voice.peer_added").contains {
                $0.payloadText.contains(Self.member.accountId) && $0.payloadText.contains("answerer")
            }, "\(me.voiceHistory())")
            let answer = try #require(member.events("answer_applied").first?["sdp"] as? String, "\(member.transcript)")
            #expect(answer.contains("a=mid:0") && answer.contains("a=rtpmap:96 opus/16000/2"), "\(answer)")
            try Self.checkBothHeard(ours: me.output, theirs: member.recordings(prefix: dir.path("aiortc")))
            #expect(try me.events("voice.error").isEmpty, "\(me.voiceHistory())")
        }
    }

    /// Our mix has the member's 440 Hz and the member's recording our 660 Hz, each far above a frequency nobody sends
    /// (990 Hz) and above the listener's own tone. The loudest second counts: each side stops before the other.
    static func checkBothHeard(ours: String, theirs recordings: [String]) throws {
        let heard = try AudioAnalysis.strongest(ours, 440), unused = try AudioAnalysis.strongest(ours, 990)
        let echo = try AudioAnalysis.strongest(ours, 660)
        #expect(heard > 1e-4 && heard > 20 * unused, "we hear the member's 440 Hz (\(heard)) vs unused 990 Hz (\(unused))")
        #expect(heard > 20 * echo, "and not ourselves (\(heard) vs 660 Hz \(echo))")
        #expect(!recordings.isEmpty, "the member recorded what it heard")
        // Its peer may have been renegotiated (one file per remote track): the best recording counts.
        guard let theirs = try recordings.max(by: { try AudioAnalysis.strongest($0, 660) < AudioAnalysis.strongest($1, 660) })
        else { return }
        let back = try AudioAnalysis.strongest(theirs, 660), theirUnused = try AudioAnalysis.strongest(theirs, 990)
        let theirOwn = try AudioAnalysis.strongest(theirs, 440)
        #expect(back > 1e-4 && back > 20 * theirUnused, "the member hears our 660 Hz (\(back)) vs unused 990 Hz (\(theirUnused))")
        #expect(back > 20 * theirOwn, "and not itself (\(back) vs 440 Hz \(theirOwn))")
    }
}
