import Foundation
import P2P
import P2PLab
import PartyBusPluginAPI
import Testing

/// Network changes under a live link: a host moving to another address, a NAT rebinding (mappings flushed, a new
/// port range), an outage of a whole site. The link must carry messages again without a new token.
extension NATTraversalTests {
    /// Two nodes connected by a token; returns them once both see the link.
    func connectedPair(_ lab: NATLab) async throws -> (TestNode, TestNode) {
        let a = try await lab.node(site: 1, configuration: labConfiguration(lab))
        let b = try await lab.node(site: 2, configuration: labConfiguration(lab))
        let peer = try await b.node.add(token: await a.node.createToken().text)
        #expect(await b.node.waitConnected(peer, timeout: .seconds(8)) != nil)
        #expect(await a.node.waitConnected(b.node.peerID, timeout: .seconds(3)) != nil)
        return (a, b)
    }

    /// Sends a message each way (retrying while the link recovers); true when both arrived.
    func messagesFlow(_ a: TestNode, _ b: TestNode, topic: String, within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            _ = try? await a.node.send(topic: topic, body: [1], to: b.node.peerID)
            _ = try? await b.node.send(topic: topic, body: [2], to: a.node.peerID)
            try? await Task.sleep(for: .milliseconds(250))
            if a.messages.contains(where: { $0.topic == topic }) && b.messages.contains(where: { $0.topic == topic }) { return true }
        }
        return false
    }

    /// Prints what the nodes saw (when a test fails).
    func dump(_ nodes: [(String, TestNode)]) async {
        for (name, node) in nodes {
            print("  \(name) rejected \(await node.node.rejectionCounts()) peers \(await node.node.peers())")
            for event in node.events { print("  \(name) \(event.type) \(String(decoding: event.payload, as: UTF8.self).prefix(300))") }
        }
    }

    @Test("a host moving to another address keeps its link: the peer follows its authenticated packets (roaming); its host candidate follows too and reaches the peer")
    func hostMoves() async throws {
        let lab = NATLab()
        defer { lab.tearDown() }
        try await lab.build([.portRestricted, .fullCone])
        let (a, b) = try await connectedPair(lab)
        #expect(await b.eventually(.seconds(6)) { await b.node.peers().first?.path == "direct" })
        let before = await b.node.peers().first?.address
        // Site 1's host moves to another address: its NAT maps it anew (the old mapping still holds the port).
        try lab.inNS(lab.host(1), "ip addr del \(lab.hostAddress(1))/24 dev eth0")
        try lab.inNS(lab.host(1), "ip addr add 198.19.1.3/24 dev eth0")
        try lab.inNS(lab.host(1), "ip route replace default via 198.19.1.1")
        let flowed = await messagesFlow(a, b, topic: "after-move", within: .seconds(8))
        #expect(flowed)
        if !flowed { await dump([("A", a), ("B", b)]) }
        #expect(await a.node.peers().first?.state == "connected")
        #expect(await b.node.peers().first?.state == "connected")
        let after = await b.node.peers().first?.address
        print("host move: B sends to \(before ?? "-") before, \(after ?? "-") after; path \(await b.node.peers().first?.path ?? "-")")
        #expect(after != before, "the peer should have moved its endpoint to the host's new mapping")
        #expect(b.payloads(P2PPathChanged.self).contains { $0.from.hasPrefix("direct") && $0.to == "direct \(after ?? "")" })
        #expect(b.events(P2PPeerDisconnected.eventType).isEmpty)
        // A lists its interfaces again: the new host candidate is announced and reaches B in a network_change handshake.
        let moved = "host 198.19.1.3:"
        let announced = await a.eventually(.seconds(5)) {
            a.payloads(P2PCandidatesChanged.self).contains { $0.reason == "host_addresses" && $0.candidates.contains { $0.hasPrefix(moved) } }
        }
        #expect(announced, "A's candidates_changed: \(a.payloads(P2PCandidatesChanged.self))")
        let learnt = await b.eventually(.seconds(5)) {
            await b.node.friendList().first?.candidates.contains { $0.description.hasPrefix(moved) } == true
        }
        let friendEntry = await b.node.friendList().first?.candidates.map(\.description) ?? []
        #expect(learnt, "B's friend entry for A: \(friendEntry)")
        let latest = a.payloads(P2PCandidatesChanged.self).last { $0.reason == "host_addresses" }
        #expect(latest?.candidates.contains { $0.hasPrefix("host \(lab.hostAddress(1)):") } == false, "the old host address is gone")
        await a.stop()
        await b.stop()
    }

    @Test("a NAT rebinding (mappings flushed, new port range) between two port-restricted NATs: STUN again, new candidates through the relay, the link carries on")
    func natRebinding() async throws {
        let lab = NATLab()
        defer { lab.tearDown() }
        try await lab.build([.portRestricted, .portRestricted])
        let (a, b) = try await connectedPair(lab)
        #expect(await b.eventually(.seconds(6)) { await b.node.peers().first?.path == "direct" })
        try lab.rebind(site: 1, ports: 40000...40999)
        #expect(await messagesFlow(a, b, topic: "after-rebind", within: .seconds(10)))
        let changed = a.payloads(P2PCandidatesChanged.self)
        #expect(changed.contains { event in
            event.candidates.contains { $0.hasPrefix("srflx \(lab.publicAddress(1)):4") }
        }, "A should have found its new mapping: \(changed)")
        #expect(await a.node.peers().first?.state == "connected")
        #expect(await b.node.peers().first?.state == "connected")
        print("rebinding: paths after \(await a.node.peers().first?.path ?? "-")/\(await b.node.peers().first?.path ?? "-")")
        await a.stop()
        await b.stop()
    }

    @Test("after an outage of a whole site longer than the peer timeout both sides reconnect by themselves")
    func outage() async throws {
        let lab = NATLab()
        defer { lab.tearDown() }
        try await lab.build([.portRestricted, .fullCone])
        let (a, b) = try await connectedPair(lab)
        try lab.inNS(lab.router(2), "ip link set wan down")
        #expect(await a.eventually(.seconds(10)) { await a.node.peers().first?.state != "connected" })
        try lab.inNS(lab.router(2), "ip link set wan up")
        try lab.inNS(lab.router(2), "ip route replace default via \(lab.serverAddress(2))")
        #expect(await a.eventually(.seconds(20)) { await a.node.peers().first?.state == "connected" })
        #expect(await b.eventually(.seconds(20)) { await b.node.peers().first?.state == "connected" })
        #expect(await messagesFlow(a, b, topic: "after-outage", within: .seconds(5)))
        await a.stop()
        await b.stop()
    }
}
