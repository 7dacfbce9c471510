import Foundation
import P2P
import P2PLab
import PartyBusPluginAPI
import Testing

@Suite("A mesh of five engines", .serialized)
struct MeshTests {
    @Test("five engines all linked; a fifth joining drops nobody; one leaves and returns; nobody else drops; send to one or all")
    func fiveEngines() async throws {
        let config = fastConfiguration()
        let folders = (0..<5).map { FileManager.default.temporaryDirectory.appendingPathComponent("p2p-mesh-\($0)-\(UUID().uuidString)") }
        var nodes: [TestNode] = []
        for index in 0..<4 { nodes.append(try await TestNode.loopback(config, folder: folders[index])) }
        func link(_ a: Int, _ b: Int) async throws {
            let peer = try await nodes[b].node.add(token: await nodes[a].node.createToken().text)
            #expect(await nodes[b].node.waitConnected(peer, timeout: .seconds(5)) != nil, "\(a)↔\(b)")
        }
        for a in 0..<4 { for b in (a + 1)..<4 { try await link(a, b) } }
        // The fifth joins everyone.
        nodes.append(try await TestNode.loopback(config, folder: folders[4]))
        for a in 0..<4 { try await link(a, 4) }
        for (index, node) in nodes.enumerated() {
            let peers = await node.node.peers()
            #expect(peers.count == 4 && peers.allSatisfy { $0.state == "connected" }, "node \(index): \(peers.map(\.state))")
            #expect(node.events(P2PPeerDisconnected.eventType).isEmpty, "node \(index) dropped someone")
        }
        // One to all, one to one.
        #expect(try await nodes[0].node.send(topic: "all", body: [9]) == 4)
        #expect(try await nodes[1].node.send(topic: "one", body: [1], to: nodes[3].node.peerID) == 1)
        for index in 1..<5 {
            let node = nodes[index]
            #expect(await node.eventually { node.messages.contains { $0.topic == "all" } }, "node \(index)")
        }
        let third = nodes[3]
        #expect(await third.eventually { third.messages.contains { $0.topic == "one" } })
        try await Task.sleep(for: .milliseconds(200))
        #expect(!nodes[2].messages.contains { $0.topic == "one" } && !nodes[4].messages.contains { $0.topic == "one" })

        // Node 2 leaves and comes back (same identity and friends, a new port): the others never drop each other.
        let leaving = nodes[2].node.peerID
        await nodes[2].stop()
        for index in [0, 1, 3, 4] {
            let node = nodes[index]
            #expect(await node.eventually(.seconds(8)) {
                await node.node.peers().first { $0.peer == leaving }?.state == "disconnected"
            }, "node \(index) noticed 2 left")
        }
        nodes[2] = try await TestNode.loopback(config, folder: folders[2])
        for index in [0, 1, 3, 4] {
            #expect(await nodes[index].node.waitConnected(leaving, timeout: .seconds(10)) != nil, "node \(index) got 2 back")
        }
        for index in [0, 1, 3, 4] {
            let dropped = nodes[index].payloads(P2PPeerDisconnected.self).filter { $0.peer != leaving }
            #expect(dropped.isEmpty, "node \(index) dropped \(dropped.map(\.peer))")
            let peers = await nodes[index].node.peers()
            #expect(peers.allSatisfy { $0.state == "connected" }, "node \(index): \(peers.map(\.state))")
        }
        for index in [0, 1, 3, 4] {
            #expect(await nodes[2].node.waitConnected(nodes[index].node.peerID, timeout: .seconds(10)) != nil, "2 got \(index) back")
        }
        #expect(try await nodes[2].node.send(topic: "back", body: [2]) == 4)
        for index in [0, 1, 3, 4] {
            let node = nodes[index]
            #expect(await node.eventually { node.messages.contains { $0.topic == "back" } })
        }
        for node in nodes { await node.stop() }
    }
}
