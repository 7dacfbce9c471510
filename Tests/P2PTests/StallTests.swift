import Foundation
@testable import P2P
import Testing

extension P2PNode {
    /// Holds the actor for `duration` without suspending, as a blocking call made on it would (a file write on a
    /// busy disk did in CI).
    func holdActor(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
    }

    var timerStalls: Int { stalls }
}

@Suite("A node whose actor was held up", .serialized)
struct StallTests {
    @Test("held longer than the peer timeout, a node lets its peer's waiting keepalives in before judging it silent")
    func heldNodeKeepsItsPeer() async throws {
        let config = fastConfiguration()  // keepalive 1 s, peer timeout 3 s
        let alice = try await TestNode.loopback(config)
        let bob = try await TestNode.loopback(config)
        let peer = try await bob.node.add(token: await alice.node.createToken().text)
        #expect(await bob.node.waitConnected(peer, timeout: .seconds(5)) != nil)
        #expect(await alice.node.waitConnected(bob.node.peerID, timeout: .seconds(5)) != nil)

        // Bob's actor is held 4 s, longer than his peer timeout: alice's keepalives wait in his socket, and his
        // timer's turn on the actor comes before his receive loop's.
        await bob.node.holdActor(for: .seconds(4))
        try await Task.sleep(for: .seconds(2))

        #expect(await bob.node.timerStalls >= 1)
        #expect(bob.payloads(P2PPeerDisconnected.self).isEmpty, "bob dropped alice: \(bob.payloads(P2PPeerDisconnected.self))")
        #expect(await bob.node.peers().first?.state == "connected")
        #expect(try await bob.node.send(topic: "after", body: [1], to: peer) == 1)
        #expect(await alice.eventually { alice.messages.contains { $0.topic == "after" } })
        for node in [alice, bob] { await node.stop() }
    }
}
