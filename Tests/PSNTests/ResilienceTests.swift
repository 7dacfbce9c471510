import Foundation
import PSN
import PSNSimulator
import PartyBusCore
import PSNTestSupport
import PartyBusTestSupport
import Testing

@Suite("PSN resilience against the simulator", .serialized)
struct ResilienceTests {
    @Test("short-lived tokens are refreshed and no 401 reaches the caller, also when the server expires them early")
    func refresh() async throws {
        let configuration = simulatorConfiguration { $0.accessTokenLifetimeSeconds = 4 }
        try await PSNSimulator.withRunning(configuration: configuration) { simulator in
            let me = try ClientHarness(simulator: simulator)
            try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            // Less than five minutes left: every call refreshes first (A.9 rule 2).
            _ = try await me.client.parties.list()
            _ = try await me.client.parties.list()
            let proactive = try me.events("auth.token_refreshed").map { try $0.decode(TokenRefreshed.self) }
            #expect(proactive.count >= 2)
            #expect(proactive.allSatisfy { $0.reason == "proactive" })
            #expect(me.memory.all.allSatisfy { !$0.contains("401") })
            return ()
        }
    }

    @Test("a token the server rejects is refreshed once and the call retried (A.9 rule 4)")
    func rejectedToken() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let me = try ClientHarness(simulator: simulator)
            try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            simulator.advanceClock(milliseconds: 3_700_000)
            let parties = try await me.client.parties.list()
            #expect(parties.isEmpty)
            let refreshed = try me.events("auth.token_refreshed").map { try $0.decode(TokenRefreshed.self) }
            #expect(refreshed.map(\.reason) == ["rejected"])
            return ()
        }
    }

    @Test("5xx answers are retried with backoff, 429 waits for Retry-After, then the call succeeds")
    func serverFaults() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let me = try ClientHarness(simulator: simulator)
            try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            var faults = simulator.faults
            faults.httpFaults = [
                HTTPFaultRule(path: "/api/sessionManager/v2/sys/gameBase/parties/bulkGet", status: 503, count: 2)
            ]
            simulator.setFaults(faults)
            #expect(try await me.client.parties.list().isEmpty)
            #expect(me.memory.all.filter { $0.contains("bulkGet: HTTP 503") }.count == 2)

            faults.httpFaults = [
                HTTPFaultRule(path: "/api/sessionManager/v2/sys/gameBase/parties/bulkGet", status: 429, count: 1, retryAfterSeconds: 1)
            ]
            simulator.setFaults(faults)
            let started = ContinuousClock.now
            #expect(try await me.client.parties.list().isEmpty)
            #expect(ContinuousClock.now - started >= .milliseconds(900), "Retry-After: 1 was honoured")

            faults.httpFaults = [
                HTTPFaultRule(path: "/api/sessionManager/v2/sys/gameBase/parties/bulkGet", status: 500, count: 5)
            ]
            simulator.setFaults(faults)
            await #expect {
                _ = try await me.client.parties.list()
            } throws: { ($0 as? PSNError)?.status == 500 }
            return ()
        }
    }

    @Test("a dropped push socket reconnects, re-reads party state and produces no duplicate party events")
    func pushReconnect() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let me = try ClientHarness(simulator: simulator)
            try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            let (push, running) = me.startPush()
            defer { running.cancel() }
            #expect(try await me.waitForPush(simulator, account: TestAccounts.me))
            let sessionId = try await me.client.parties.create()
            try await me.client.parties.invite(sessionId, accountIds: [TestAccounts.alice.accountId])
            _ = try simulator.perform(actor: "sim-alice", action: "join", args: ["sessionId": .string(sessionId)])
            #expect(await eventually { me.members(sessionId).count == 2 })

            _ = try simulator.perform(actor: "partybus-me", action: "dropPush")
            #expect(try await me.waitForPush(simulator, account: TestAccounts.me, connections: 2))
            #expect(try await eventually { try !me.events("party.snapshot").isEmpty }, "state re-read after reconnect")
            #expect(push.connectionCount == 2)
            // Bob joins after the reconnect: announced once; nobody is announced twice.
            try await me.client.parties.invite(sessionId, accountIds: [TestAccounts.bob.accountId])
            _ = try simulator.perform(actor: "sim-bob", action: "join", args: ["sessionId": .string(sessionId)])
            #expect(await eventually { me.members(sessionId).count == 3 })
            let joined = try me.events("party.member_joined").map { try $0.decode(PartyMemberJoined.self).member.accountId }
            #expect(joined == [TestAccounts.me.accountId, TestAccounts.alice.accountId, TestAccounts.bob.accountId])

            // The server closes with an invalid status code (65535): logged, no crash, reconnected.
            _ = try simulator.perform(actor: "partybus-me", action: "closePush", args: ["code": .int(65535)])
            #expect(try await me.waitForPush(simulator, account: TestAccounts.me, connections: 3))
            let disconnects = try me.events("push.disconnected").map { try $0.decode(PushDisconnected.self) }
            #expect(disconnects.count == 2)
            #expect(disconnects.last?.closeCode == 65535 || disconnects.last?.reason.isEmpty == false)
            #expect(me.members(sessionId).count == 3)
            return ()
        }
    }

    @Test("a push message over the client's bound ends that connection (1009, counted) and the client reconnects")
    func oversizedPushMessage() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let me = try ClientHarness(simulator: simulator)
            try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            let (push, running) = me.startPush()
            defer { running.cancel() }
            #expect(try await me.waitForPush(simulator, account: TestAccounts.me))
            _ = try simulator.perform(actor: "partybus-me", action: "pushRaw", args: ["bytes": .int(2 << 20)])
            #expect(try await me.waitForPush(simulator, account: TestAccounts.me, connections: 2))
            let disconnects = try me.events("push.disconnected").map { try $0.decode(PushDisconnected.self) }
            #expect(disconnects.count == 1)
            #expect(disconnects.first?.reason.contains("exceeded 1048576 bytes") == true, "\(disconnects)")
            #expect(push.connectionCount == 2)
            return ()
        }
    }
}
