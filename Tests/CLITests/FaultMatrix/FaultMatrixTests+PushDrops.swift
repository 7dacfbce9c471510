import Foundation
import PartyBusTestSupport
import Testing

extension FaultMatrixTests {
    @Test("row 1: the push socket is dropped or closed every ~1.5 s while members join and leave; the state re-converges")
    func pushDrops() async throws {
        let rig = try await FaultRig.start()
        let sessionId = try rig.createParty("drops")
        // A second party, made by sim-alice, that our account joins "from a console" between drops.
        let made = try await rig.simulator.act("sim-alice", "create", ["sessionName": "alice's"])
        let other = try #require((try JSONSerialization.jsonObject(with: made) as? [String: Any])?["sessionId"] as? String)

        var inParty: Set<String> = []
        for round in 0..<12 {
            let actor = FaultRig.cast[round % FaultRig.cast.count]
            try await Self.toggle(actor, in: sessionId, on: rig.simulator, member: &inParty)
            if round == 5 { try await rig.simulator.act(FaultRig.me, "join", ["sessionId": other]) }
            if round == 8 { try await rig.simulator.act("sim-bob", "join", ["sessionId": other]) }
            if round % 3 == 0 {
                // Alternate a silent drop (no close frame: the client notices by keep-alive or a failed read) and a
                // close with PSN's usual code.
                let path = round % 2 == 0 ? "/sim/admin/push/drop" : "/sim/admin/push/close"
                try await rig.simulator.post(path, ["accountId": FaultRig.me])
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        // The drops stop; the socket comes back and the daemon agrees with the simulator.
        #expect(await rig.simulator.waitForPush())
        let reconnected = await poll {
            let push = (try? rig.status())?["push"] as? [String: Any]
            return push?["state"] as? String == "connected" && (push?["connection"] as? Int ?? 0) > 1
        }
        #expect(reconnected, "push never came back after the drops: \(rig.daemon.stderr.text.suffix(2000))")
        try await rig.finish()
    }
}
