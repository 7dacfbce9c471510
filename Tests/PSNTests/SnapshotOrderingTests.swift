import Foundation
@testable import PSN
import PSNSimulator
import PSNTestSupport
import PartyBusCore
import PartyBusTestSupport
import Synchronization
import Testing

/// A party read recorded as `party.snapshot` must not undo a push frame that overtook it: CI once saw a member who
/// joined while our read of the party was on its way back vanish from the projection — voice never offered to them.
@Suite("Party reads ordered with push frames", .serialized)
struct SnapshotOrderingTests {
    @Test("a read answered before a member joined but back after the join's push is read again; the member stays")
    func readOvertakenByPush() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let me = try ClientHarness(simulator: simulator)
            try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            let alice = try ClientHarness(simulator: simulator)
            try await alice.client.tokens.signIn(npsso: Secret(TestAccounts.alice.npsso))

            // Our own push client and parties client over one ingest gate, the reads through a transport that can
            // hold an answer back after the server gave it (a slow network).
            let gate = IngestGate()
            let holding = HoldingTransport(me.client.http)
            let api = PSNAPIClient(settings: me.client.settings, http: holding, tokens: me.client.tokens, logger: me.memory.logger())
            let log = me.log
            let parties = PartiesClient(api: api, publish: { _ = try await log.append($0) }, source: .sim, ingests: gate)
            var backoff = PushClient.Backoff()
            backoff.initial = .milliseconds(50)
            let push = PushClient(
                settings: me.client.settings, http: me.client.http, tokens: me.client.tokens, log: me.log,
                parties: me.projection, source: .sim, logger: me.memory.logger(), backoff: backoff, ingests: gate,
                reread: {})
            let pushing = Task { await push.run() }
            defer { pushing.cancel() }
            #expect(try await me.waitForPush(simulator, account: TestAccounts.me))

            let sessionId = try await parties.create(name: "race")
            try await parties.invite(sessionId, accountIds: [TestAccounts.alice.accountId])
            #expect(await eventually { me.members(sessionId) == [TestAccounts.me.accountId] })

            // The read is answered (only us in the party) and held; alice joins; her push frame is ingested first.
            holding.hold(true)
            let reading = Task { try await parties.get([sessionId]) }
            #expect(await eventually { holding.heldCount == 1 })
            try await alice.client.parties.join(sessionId)
            #expect(await eventually { me.members(sessionId).contains(TestAccounts.alice.accountId) })
            holding.hold(false)
            let read = try await reading.value

            // Read again after the frame: what was recorded last shows alice, and so does the projection.
            #expect(read.first?.members?.contains { $0.accountId == TestAccounts.alice.accountId } == true, "\(read)")
            let snapshots = try me.events(PartySnapshot.eventType).map { try $0.decode(PartySnapshot.self) }
            #expect(snapshots.last?.party.members?.contains { $0.accountId == TestAccounts.alice.accountId } == true)
            #expect(me.members(sessionId) == [TestAccounts.me.accountId, TestAccounts.alice.accountId])
            #expect(holding.answeredReads == 2, "the held answer was dropped and the party read again")
        }
    }
}

/// An HTTP transport that, while holding, keeps back the answers of party reads (GET partySessions) after the
/// server has given them, until let go.
final class HoldingTransport: HTTPSending {
    private struct State {
        var holding = false
        var held: [CheckedContinuation<Void, Never>] = []
        var answered = 0
    }
    private let inner: any HTTPSending
    private let state = Mutex(State())

    init(_ inner: any HTTPSending) { self.inner = inner }

    /// Starts or stops holding; stopping lets every held answer go.
    func hold(_ on: Bool) {
        let released = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.holding = on
            if on { return [] }
            defer { state.held = [] }
            return state.held
        }
        for continuation in released { continuation.resume() }
    }

    var heldCount: Int { state.withLock { $0.held.count } }
    var answeredReads: Int { state.withLock { $0.answered } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let response = try await inner.send(request)
        guard request.method == .GET, request.url.contains("/partySessions?") else { return response }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                state.answered += 1
                guard state.holding else { return true }
                state.held.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        return response
    }
}
