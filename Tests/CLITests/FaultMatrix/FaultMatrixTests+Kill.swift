import Foundation
import PartyBusTestSupport
import Testing

extension FaultMatrixTests {
    @Test("row 5: SIGKILL of up in the middle of a join, then a restart: nothing acknowledged is lost and the state re-converges")
    func killMidCall() async throws {
        let rig = try await FaultRig.start()
        let simulator = rig.simulator
        let sessionId = try rig.createParty("killed")
        var inParty: Set<String> = []
        try await Self.toggle(FaultRig.cast[0], in: sessionId, on: simulator, member: &inParty)

        // sim-bob's party; our join's second step (PATCH members/me) is held up by 429s with Retry-After, so up is
        // killed after the first step made us a member and before the call returned.
        let made = try await simulator.act("sim-bob", "create", ["sessionName": "bob's"])
        let other = try #require((try JSONSerialization.jsonObject(with: made) as? [String: Any])?["sessionId"] as? String)
        try await simulator.act("sim-carol", "join", ["sessionId": other])
        try await simulator.failHTTP(
            "/api/sessionManager/v2/partySessions/\(other)/members/me", status: 429, count: 2, method: "PATCH",
            retryAfterSeconds: 5)
        let joining = try RunningPartybus(
            ["parties", "join", other, "--config", rig.config, "--data-dir", rig.data], environment: FaultRig.secret)
        let inFlight = await poll(timeout: .seconds(20), every: .milliseconds(50)) {
            rig.acknowledged.contains { $0["type"] as? String == "party.joined" && "\($0["payload"] ?? "")".contains(other) }
        }
        #expect(inFlight, "the join never reached its first step")
        rig.killDaemon()
        // The CLI in flight ends by itself with an error; members change while up is down.
        #expect(await eventually(timeout: .seconds(30)) { !joining.process.isRunning }, "the interrupted join hangs")
        #expect(joining.process.terminationReason == .exit && joining.process.terminationStatus != 0,
                "the interrupted join: \(joining.process.terminationStatus) \(joining.stdout.text) \(joining.stderr.text)")
        #expect(!joining.stderr.text.contains("Fatal error"), "\(joining.stderr.text)")
        try await Self.toggle(FaultRig.cast[1], in: sessionId, on: simulator, member: &inParty)
        try await simulator.act("sim-dave", "join", ["sessionId": other])
        try await rig.restartDaemon()
        try await Self.toggle(FaultRig.cast[2], in: sessionId, on: simulator, member: &inParty)
        try await rig.finish()
    }
}
