import Foundation
import PSN
import PSNSimulator
import PSNTestSupport
import PartyBusCore
import PartyBusTestSupport
@testable import PartyVoice
import Testing

/// A member's offer can come before we know they are in the party (our read of the party after joining is still on
/// its way back, or a push was lost): voice reads the party again before it turns the offer down. Seen in the aiortc
/// interop test, where the member who was there first offered while our join's read was being repeated.
@Suite("Signalling from a member we do not know yet", .serialized)
struct MemberLookupTests {
    @Test("a sender missing from the projection is looked up by reading the party; a stranger costs one read per interval")
    func lookup() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            // No push socket: the projection learns only what our own calls record.
            let me = try ClientHarness(simulator: simulator)
            try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            let alice = try ClientHarness(simulator: simulator)
            try await alice.client.tokens.signIn(npsso: Secret(TestAccounts.alice.npsso))
            let sessionId = try await me.client.parties.create(name: "lookup")
            try await me.client.parties.invite(sessionId, accountIds: [TestAccounts.alice.accountId])
            try await alice.client.parties.join(sessionId)
            await me.projection.waitUntilFolded(me.log.head)
            #expect(!me.members(sessionId).contains(TestAccounts.alice.accountId), "the projection does not know alice yet")

            let voice = PartyVoice(
                client: me.client, log: me.log, parties: me.projection,
                options: PartyVoiceOptions(graphFile: VoiceMember.headlessGraph), autoStart: false, source: .sim,
                logger: me.memory.logger())
            func snapshots() throws -> Int { try me.events(PartySnapshot.eventType).count }

            let found = await voice.member(TestAccounts.alice.accountId, of: sessionId)
            #expect(found?.accountId == TestAccounts.alice.accountId, "alice found by reading the party")
            #expect(me.members(sessionId).contains(TestAccounts.alice.accountId))
            #expect(try snapshots() == 1)

            // Bob is no member: the first lookup within the interval reads nothing more (alice's read was just now);
            // after the interval one read, then none again until the next interval.
            #expect(await voice.member(TestAccounts.bob.accountId, of: sessionId) == nil)
            #expect(try snapshots() == 1, "no second read within \(PartyVoice.memberRereadInterval)")
            try await Task.sleep(for: PartyVoice.memberRereadInterval)
            #expect(await voice.member(TestAccounts.bob.accountId, of: sessionId) == nil)
            #expect(await voice.member(TestAccounts.bob.accountId, of: sessionId) == nil)
            #expect(try snapshots() == 2, "one read for two lookups of a stranger")
            // A known member costs no read at all.
            #expect(await voice.member(TestAccounts.me.accountId, of: sessionId) != nil)
            #expect(try snapshots() == 2)
        }
    }
}
