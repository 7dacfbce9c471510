import Foundation
import PSN
import PSNSimulator
import PSNTestSupport
import PartyBusCore
import PartyBusTestSupport
import Synchronization
import Testing

@Suite("Stored tokens survive bad days; only invalid_grant discards them", .serialized)
struct AuthFailureTests {
    static let tokenPath = "/api/authz/v3/oauth/token"

    /// Signs in and returns the harness and the bytes of tokens.json.
    func signedIn(_ simulator: PSNSimulator, tweak: (inout PSNSettings) -> Void = { _ in }) async throws -> (ClientHarness, Data) {
        let me = try ClientHarness(simulator: simulator, tweak: tweak)
        try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
        let stored = try #require(FileManager.default.contents(atPath: me.dir.path("tokens.json")))
        return (me, stored)
    }

    /// Forces a refresh of the current access token (as after a 401).
    func refresh(_ me: ClientHarness) async throws {
        let current = try #require(try await me.client.tokens.currentTokens())
        _ = try await me.client.tokens.refreshAfterRejection(of: current.accessToken)
    }

    func setFaults(_ simulator: PSNSimulator, _ rules: [HTTPFaultRule]) {
        var faults = simulator.faults
        faults.httpFaults = rules
        simulator.setFaults(faults)
    }

    /// The refresh failed with the tokens kept: tokens.json byte for byte, no sign-in required; then, with the
    /// faults gone, a later refresh works.
    func expectKept(_ me: ClientHarness, _ stored: Data, _ simulator: PSNSimulator, _ label: String) async throws {
        await #expect {
            try await refresh(me)
        } throws: { error in
            guard case .refreshFailed(let detail) = error as? PSNError else { return false }
            return detail.contains("kept")
        }
        #expect(FileManager.default.contents(atPath: me.dir.path("tokens.json")) == stored, "\(label): tokens.json kept")
        #expect(try me.events("auth.sign_in_required").isEmpty, "\(label)")
        setFaults(simulator, [])
        let before = try me.events("auth.token_refreshed").count
        try await refresh(me)
        #expect(try me.events("auth.token_refreshed").count == before + 1, "\(label): a later refresh works")
        _ = try await me.client.parties.list()
    }

    @Test("429 from the token endpoint: Retry-After honoured, tokens kept, a later refresh works")
    func tooManyRequests() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let (me, stored) = try await signedIn(simulator)
            setFaults(simulator, [HTTPFaultRule(path: Self.tokenPath, status: 429, count: 3, retryAfterSeconds: 1)])
            let started = ContinuousClock.now
            try await expectKept(me, stored, simulator, "429")
            #expect(ContinuousClock.now - started >= .milliseconds(1900), "two waits of Retry-After: 1")
            // One 429 only: the retry inside the same refresh succeeds.
            setFaults(simulator, [HTTPFaultRule(path: Self.tokenPath, status: 429, count: 1, retryAfterSeconds: 1)])
            try await refresh(me)
            #expect(FileManager.default.fileExists(atPath: me.dir.path("tokens.json")))
            return ()
        }
    }

    @Test("503 and other non-grant errors from the token endpoint keep the tokens")
    func serverErrors() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let (me, stored) = try await signedIn(simulator)
            setFaults(simulator, [HTTPFaultRule(path: Self.tokenPath, status: 503, count: 3)])
            try await expectKept(me, stored, simulator, "503")
            let current = try #require(FileManager.default.contents(atPath: me.dir.path("tokens.json")))
            // A wrong client secret (invalid_client) says nothing about the refresh token.
            setFaults(simulator, [HTTPFaultRule(
                path: Self.tokenPath, status: 401, body: #"{"error":"invalid_client","error_description":"Bad client credentials"}"#)])
            try await expectKept(me, current, simulator, "invalid_client")
            return ()
        }
    }

    @Test("a malformed 200 (bad JSON, missing fields, a non-digit account id) keeps the tokens")
    func malformed() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let (me, stored) = try await signedIn(simulator)
            let foreign = TestTokens.jwt(["account_id": "١٢٣٤", "exp": 4_000_000_000, "iat": 1])
            setFaults(simulator, [
                HTTPFaultRule(path: Self.tokenPath, status: 200, body: "{not json"),
                HTTPFaultRule(path: Self.tokenPath, status: 200, body: #"{"access_token":"x.y.z"}"#),
                HTTPFaultRule(
                    path: Self.tokenPath, status: 200,
                    body: #"{"access_token":"\#(foreign)","token_type":"bearer","expires_in":3599,"refresh_token":"r","refresh_token_expires_in":5000000}"#),
            ])
            try await expectKept(me, stored, simulator, "malformed 200")
            #expect(me.memory.all.filter { $0.contains("the stored tokens are kept; retry") }.count == 2)
            return ()
        }
    }

    @Test("invalid_grant after the refresh token expired: tokens.json removed, auth.sign_in_required appended")
    func expiredRefreshToken() async throws {
        let configuration = simulatorConfiguration { $0.refreshTokenLifetimeSeconds = 600 }
        try await PSNSimulator.withRunning(configuration: configuration) { simulator in
            let (me, _) = try await signedIn(simulator)
            // Past the refresh token's end and the access token's: the next call gets a 401, then invalid_grant.
            simulator.advanceClock(milliseconds: 3_700_000)
            await #expect {
                _ = try await me.client.parties.list()
            } throws: { error in
                guard case .signInRequired(let why) = error as? PSNError else { return false }
                return why.contains("invalid_grant")
            }
            #expect(!FileManager.default.fileExists(atPath: me.dir.path("tokens.json")))
            let required = try me.events("auth.sign_in_required").map { try $0.decode(SignInRequired.self) }
            #expect(required.count == 1)
            #expect(required.first?.reason.contains("invalid_grant") == true)
            #expect(try await me.client.tokens.currentTokens() == nil)
            return ()
        }
    }

    @Test("a revoked refresh token (invalid_grant 400): deleted; with psn.npsso the engine signs in again")
    func revokedRefreshToken() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let revoked = HTTPFaultRule(
                path: Self.tokenPath, status: 400, body: #"{"error":"invalid_grant","error_description":"Invalid refresh token"}"#)
            let (me, _) = try await signedIn(simulator)
            setFaults(simulator, [revoked])
            await #expect(throws: PSNError.self) { try await refresh(me) }
            #expect(!FileManager.default.fileExists(atPath: me.dir.path("tokens.json")))
            #expect(try me.events("auth.sign_in_required").count == 1)

            let (withNpsso, stored) = try await signedIn(simulator) { $0.npsso = Secret(TestAccounts.me.npsso) }
            setFaults(simulator, [revoked])
            try await refresh(withNpsso)
            let again = try #require(FileManager.default.contents(atPath: withNpsso.dir.path("tokens.json")))
            #expect(again != stored, "new tokens from signing in again")
            #expect(try withNpsso.events("auth.signed_in").count == 2)
            #expect(try withNpsso.events("auth.sign_in_required").isEmpty)
            return ()
        }
    }

    @Test("auth.refresh_expiring once a day when the refresh token ends within seven days; never a token in it")
    func refreshExpiring() async throws {
        let dir = try TemporaryDirectory()
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let now: @Sendable () -> Date = { clock.withLock { $0 } }
        let published = Mutex<[EventDraft]>([])
        let memory = MemoryLog()
        let store = TokenStore(dataDirectory: dir.url)
        let tokens = TestTokens.valid(accountId: "1234567890123456789", now: now(), refreshDays: 3.5)
        var set = tokens
        set.expiresAt = now().addingTimeInterval(30 * 86_400)  // no refresh needed while the clock moves
        try store.save(set)
        let settings = PSNSettings.defaults
        let manager = TokenManager(
            oauth: OAuthClient(settings: settings, duid: "00", http: ServerAddrStub(fqdn: "unused"), logger: memory.logger()),
            store: store, publish: { draft in published.withLock { $0.append(draft) } }, logger: memory.logger(), now: now)

        _ = try await manager.accessToken()
        _ = try await manager.accessToken()
        clock.withLock { $0 = $0.addingTimeInterval(3600) }
        _ = try await manager.accessToken()
        var events = published.withLock { $0 }.filter { $0.type == "auth.refresh_expiring" }
        #expect(events.count == 1, "once, not per call")
        let payload = try JSONDecoder().decode(RefreshExpiring.self, from: try #require(events.first).payload)
        #expect(payload.accountId == "1234567890123456789")
        #expect(payload.daysLeft == 3)
        #expect(payload.refreshExpiresAt == Int64(set.refreshExpiresAt.timeIntervalSince1970 * 1000))
        let text = String(decoding: try #require(events.first).payload, as: UTF8.self)
        #expect(!text.contains(set.accessToken.reveal()) && !text.contains(set.refreshToken.reveal()))
        #expect(memory.all.filter { $0.contains("expires") && $0.contains("3 days left") }.count == 1)

        clock.withLock { $0 = $0.addingTimeInterval(24 * 3600) }
        _ = try await manager.accessToken()
        events = published.withLock { $0 }.filter { $0.type == "auth.refresh_expiring" }
        #expect(events.count == 2, "again a day later")
        #expect(try JSONDecoder().decode(RefreshExpiring.self, from: events[1].payload).daysLeft == 2)

        // Far from the end: nothing.
        let fresh = TokenStore(dataDirectory: try TemporaryDirectory().url)
        var far = TestTokens.valid(accountId: "1234567890123456789", now: now(), refreshDays: 30)
        far.expiresAt = now().addingTimeInterval(3600)
        try fresh.save(far)
        let quiet = Mutex(0)
        let other = TokenManager(
            oauth: OAuthClient(settings: settings, duid: "00", http: ServerAddrStub(fqdn: "unused"), logger: memory.logger()),
            store: fresh, publish: { _ in quiet.withLock { $0 += 1 } }, logger: memory.logger(), now: now)
        _ = try await other.accessToken()
        #expect(quiet.withLock { $0 } == 0)
    }

    @Test("signing in with a refresh token that ends within seven days appends auth.refresh_expiring")
    func refreshExpiringAtSignIn() async throws {
        let configuration = simulatorConfiguration { $0.refreshTokenLifetimeSeconds = 2 * 86_400 }
        try await PSNSimulator.withRunning(configuration: configuration) { simulator in
            let (me, _) = try await signedIn(simulator)
            _ = try await me.client.parties.list()
            let events = try me.events("auth.refresh_expiring").map { try $0.decode(RefreshExpiring.self) }
            #expect(events.count == 1)
            #expect(events.first?.daysLeft == 1)
            #expect(events.first?.accountId == TestAccounts.me.accountId)
            return ()
        }
    }
}
