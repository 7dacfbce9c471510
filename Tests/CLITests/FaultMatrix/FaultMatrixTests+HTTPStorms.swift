import Foundation
import PartyBusTestSupport
import Testing

extension FaultMatrixTests {
    static let sessionManager = "/api/sessionManager/v2/*"

    /// A CLI call that failed must say so plainly: a non-zero status and the HTTP status on stderr, no crash.
    static func expectClearFailure(_ result: PartybusProcess.Result, naming status: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status != 0, "it succeeded: \(result.stdout)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(status), "no \(status) in: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("Fatal error") && result.status < 128, "\(result.status) \(result.stderr)",
                sourceLocation: sourceLocation)
    }

    @Test("row 2: 5xx and 429 storms: CLI calls succeed after retries or fail with a clear error; the state re-converges")
    func httpStorms() async throws {
        let rig = try await FaultRig.start()
        let simulator = rig.simulator

        // Two 503s, then the call goes through: retried, it succeeds.
        try await simulator.failHTTP(Self.sessionManager, status: 503, count: 2)
        let sessionId = try rig.createParty("storm")
        // Two 429s with Retry-After: waited out.
        try await simulator.failHTTP(Self.sessionManager, status: 429, count: 2, retryAfterSeconds: 1)
        let invited = try rig.cli(["parties", "invite", sessionId, FaultRig.cast[0]])
        #expect(invited.status == 0, "\(invited.stderr)")

        // More failures than retries: a clear error, nothing recorded as done.
        try await simulator.failHTTP("/api/sessionManager/v2/partySessions", status: 503, count: 3, method: "POST")
        Self.expectClearFailure(try rig.cli(["parties", "create", "--name", "never"]), naming: "503")
        try await simulator.failHTTP(Self.sessionManager, status: 429, count: 3, retryAfterSeconds: 1)
        Self.expectClearFailure(try rig.cli(["parties", "invite", sessionId, FaultRig.cast[1]]), naming: "429")

        // Joining sim-alice's party while the second step (PATCH members/me) fails past its retries: the first step
        // (POST members) has already made us a member, so the call fails but the party is ours.
        let made = try await simulator.act("sim-alice", "create", ["sessionName": "alice's"])
        let other = try #require((try JSONSerialization.jsonObject(with: made) as? [String: Any])?["sessionId"] as? String)
        try await simulator.act("sim-bob", "join", ["sessionId": other])
        try await simulator.failHTTP(
            "/api/sessionManager/v2/partySessions/\(other)/members/me", status: 503, count: 3, method: "PATCH")
        Self.expectClearFailure(try rig.cli(["parties", "join", other]), naming: "503")
        // The failed call still left us in the party: the daemon shows it with everyone in it, without a reconnect.
        try await MatrixInvariants(rig: rig).assertConverged()

        // Members come and go while the push socket drops and every re-read fails past its retries for a while.
        var inParty: Set<String> = []
        for round in 0..<6 {
            if round % 2 == 0 {
                try await simulator.failHTTP("/api/sessionManager/v2/partySessions", status: 503, count: 3, method: "GET")
                try await simulator.post("/sim/admin/push/close", ["accountId": FaultRig.me])
            }
            try await Self.toggle(FaultRig.cast[2 + round % 2], in: sessionId, on: simulator, member: &inParty)
            try await Task.sleep(for: .milliseconds(600))
        }
        try await rig.finish()
    }
}
