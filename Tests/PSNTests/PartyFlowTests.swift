import Foundation
import PSN
import PSNSimulator
import PartyBusCore
import PSNTestSupport
import PartyBusTestSupport
import Testing

@Suite("PSN against the simulator", .serialized)
struct PartyFlowTests {
    @Test("sign in, create a party, a member joins by push, invitations, leaving, last leave deletes the party")
    func partyLifecycle() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let me = try ClientHarness(simulator: simulator)
            let signedIn = try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            #expect(signedIn.accountId == TestAccounts.me.accountId)
            let (_, push) = me.startPush()
            defer { push.cancel() }
            #expect(try await me.waitForPush(simulator, account: TestAccounts.me))

            let sessionId = try await me.client.parties.create(name: "Friday")
            #expect(await eventually { me.members(sessionId) == [TestAccounts.me.accountId] })

            try await me.client.parties.invite(sessionId, accountIds: [TestAccounts.alice.accountId, TestAccounts.bob.accountId])
            _ = try simulator.perform(actor: "sim-alice", action: "join", args: ["sessionId": .string(sessionId)])
            #expect(await eventually { me.members(sessionId) == [TestAccounts.me.accountId, TestAccounts.alice.accountId] })
            let joined = try me.events("party.member_joined").map { try $0.decode(PartyMemberJoined.self) }
            #expect(joined.map(\.member.accountId) == [TestAccounts.me.accountId, TestAccounts.alice.accountId])
            #expect(joined.last?.member.platform == "PS5")

            // Bob, signed in on his own client, sees the invitation.
            let bob = try ClientHarness(simulator: simulator)
            try await bob.client.tokens.signIn(npsso: Secret(TestAccounts.bob.npsso))
            let invitations = try await bob.client.parties.invitations()
            #expect(invitations.map(\.sessionId) == [sessionId])
            #expect(invitations.first?.from?.accountId == TestAccounts.me.accountId)

            // The list and the detail agree with the projection.
            let listed = try await me.client.parties.list()
            #expect(listed.map(\.sessionId) == [sessionId])
            let detail = try await me.client.parties.get([sessionId])
            #expect(Set(detail.first?.members?.map(\.accountId) ?? []) == me.members(sessionId))

            _ = try simulator.perform(actor: "sim-alice", action: "leave", args: ["sessionId": .string(sessionId)])
            #expect(await eventually { me.members(sessionId) == [TestAccounts.me.accountId] })
            try await me.client.parties.leave(sessionId)
            #expect(await eventually { me.projection.current.parties[sessionId] == nil })
            #expect(try await eventually { try !me.events("party.deleted").isEmpty || !me.events("party.left").isEmpty })
            #expect(try me.events("party.member_left").count == 1)
            return ()
        }
    }

    @Test("joining someone else's party shows the members who were already there")
    func joinExistingParty() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let created = try simulator.perform(actor: "sim-alice", action: "create", args: ["sessionName": .string("Alice's")])
            let sessionId = try #require(created["sessionId"]?.stringValue)
            _ = try simulator.perform(
                actor: "sim-alice", action: "invite",
                args: ["sessionId": .string(sessionId), "to": .array([.string(TestAccounts.me.accountId)])])
            let me = try ClientHarness(simulator: simulator)
            try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            let (_, push) = me.startPush()
            defer { push.cancel() }
            #expect(try await me.waitForPush(simulator, account: TestAccounts.me))
            try await me.client.parties.join(sessionId)
            #expect(await eventually { me.members(sessionId) == [TestAccounts.alice.accountId, TestAccounts.me.accountId] })
            #expect(me.projection.current.parties[sessionId]?.name == "Alice's")
            #expect(me.projection.current.parties[sessionId]?.ownerAccountId == TestAccounts.alice.accountId)
            return ()
        }
    }

    @Test("a party we are not invited to refuses the join with the server's message")
    func uninvitedJoin() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let created = try simulator.perform(actor: "sim-alice", action: "create")
            let sessionId = try #require(created["sessionId"]?.stringValue)
            let me = try ClientHarness(simulator: simulator)
            try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            await #expect {
                try await me.client.parties.join(sessionId)
            } throws: { error in
                (error as? PSNError)?.status == 403 && "\(error)".contains("Not permitted by access control")
                    && "\(error)".contains("referenceId")
            }
            return ()
        }
    }
}
