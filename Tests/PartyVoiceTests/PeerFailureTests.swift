import Foundation
import PSN
import PSNSimulator
import PSNTestSupport
import PartyBusCore
import PartyBusTestSupport
import PartyVoice
import Testing
import Voice

/// Offers never hang (docs/voice.md "When a peer fails"): an unanswered offer is withdrawn with `voice.peer_failed`,
/// made once more, and then nothing until the member changes.
@Suite("Party voice when a peer fails", .serialized)
struct PeerFailureTests {
    @Test("an offer nobody answers is withdrawn, made once more, then given up until the member rejoins")
    func unansweredOffer() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            // Alice signs in without voice: our offers to her are never answered.
            let me = try await VoiceMember(simulator: simulator, account: TestAccounts.me, tone: 660, offerTimeout: .seconds(1.5))
            let alice = try ClientHarness(simulator: simulator)
            try await alice.client.tokens.signIn(npsso: Secret(TestAccounts.alice.npsso))
            let aliceId = TestAccounts.alice.accountId
            let sessionId = try await me.harness.client.parties.create(name: "no answer")
            try await me.harness.client.parties.invite(sessionId, accountIds: [aliceId])
            try await alice.client.parties.join(sessionId)

            func offers() throws -> Int {
                try me.events("voice.peer_added").filter { $0.payloadText.contains(aliceId) && $0.payloadText.contains("offerer") }.count
            }
            func failures() throws -> [String] { try me.events("voice.peer_failed").map(\.payloadText) }
            #expect(try await eventually(timeout: .seconds(20)) { try failures().count >= 2 }, "\(me.voiceHistory())")
            let failed = try failures()
            #expect(failed.first?.contains("offer not answered within 1.5 s") == true && failed.first?.contains("\"retrying\":true") == true,
                    "\(failed)")
            #expect(failed.dropFirst().first?.contains("\"retrying\":false") == true, "\(failed)")
            #expect(try offers() == 2, "one offer, then one fresh offer\n\(me.voiceHistory())")
            // Given up: a re-read of the party (a snapshot) and more time bring no third offer.
            _ = try await me.harness.client.parties.get([sessionId])
            try await Task.sleep(for: .seconds(2))
            #expect(try offers() == 2, "no more offers until alice changes\n\(me.voiceHistory())")
            #expect(await me.voice.status().peers.isEmpty)

            // Alice leaves and rejoins: she is offered to again.
            try await alice.client.parties.leave(sessionId)
            try await me.harness.client.parties.invite(sessionId, accountIds: [aliceId])
            try await alice.client.parties.join(sessionId)
            #expect(try await eventually { try offers() == 3 }, "\(me.voiceHistory())")
            #expect(try me.events("voice.error").isEmpty, "\(me.voiceHistory())")
            await me.stopVoice()
        }
    }

    @Test("voice.offerTimeoutSeconds: a positive number of seconds, else 10 s")
    func offerTimeoutConfig() {
        #expect(PartyVoiceOptions.offerTimeout(fromConfig: .int(5)) == .seconds(5))
        #expect(PartyVoiceOptions.offerTimeout(fromConfig: .double(2.5)) == .milliseconds(2500))
        #expect(PartyVoiceOptions.offerTimeout(fromConfig: .string("7")) == .seconds(7))
        let bad: [PartyBusCore.JSONValue?] = [nil, .int(0), .int(-3), .double(.infinity), .string("soon"), .bool(true), .int(100_000)]
        for bad in bad {
            #expect(PartyVoiceOptions.offerTimeout(fromConfig: bad) == .seconds(10), "\(String(describing: bad))")
        }
    }
}
