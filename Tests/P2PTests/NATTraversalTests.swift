import Foundation
import P2P
import P2PLab
import PartyBusPluginAPI
import Testing

/// Whether two NATs allow a direct path: everything but two symmetric NATs (an easy side sprays a symmetric one).
func directPossible(_ a: NATKind, _ b: NATKind) -> Bool {
    !(a == .symmetric && b == .symmetric)
}

/// Whether the first side sprays the second's ports: it is endpoint-independent but filters (port-restricted), the
/// other symmetric. A full-cone side lets the symmetric side's own probes in, so it never needs to.
func sprays(_ a: NATKind, toward b: NATKind) -> Bool { a == .portRestricted && b == .symmetric }

/// What the relay test must find behind each lab NAT: only the full cone lets a stranger's packet in.
func expectedFiltering(_ kind: NATKind) -> NATFiltering { kind == .fullCone ? .endpointIndependent : .endpointDependent }

/// Namespace-based NAT configuration for nodes: STUN on both inet addresses, coturn as relay.
func labConfiguration(_ lab: NATLab) -> P2PConfiguration {
    var configuration = fastConfiguration(stun: lab.stunServers, turn: lab.turn)
    configuration.includeLoopback = false
    configuration.peerTimeout = .seconds(4)
    return configuration
}

/// Whether {a, b} is {x, y} in either order.
func kindPair(_ a: NATKind, _ b: NATKind, are x: NATKind, _ y: NATKind) -> Bool { (a == x && b == y) || (a == y && b == x) }

@Suite("NAT traversal in network namespaces (veth, iptables NAT, coturn)", .serialized,
       .enabled(if: NATLab.available, "\(NATLab.unavailableReason ?? "")"))
struct NATTraversalTests {
    @Test("every NAT pair (full-cone, port-restricted, symmetric on each side) ends connected: direct where possible, relayed where not")
    func matrix() async throws {
        let lab = NATLab()
        defer { lab.tearDown() }
        try await lab.build([.fullCone, .fullCone])
        var failures: [String] = []
        // P2P_NAT_PAIR=inviter,joiner (e.g. symmetric,full-cone) runs one pair while debugging.
        let only = ProcessInfo.processInfo.environment["P2P_NAT_PAIR"]?.split(separator: ",").map(String.init)
        for inviterKind in NATKind.allCases {
            for joinerKind in NATKind.allCases where only == nil || only == [inviterKind.rawValue, joinerKind.rawValue] {
                try lab.setNAT(site: 1, inviterKind)
                try lab.setNAT(site: 2, joinerKind)
                let inviter = try await lab.node(site: 1, configuration: labConfiguration(lab))
                let joiner = try await lab.node(site: 2, configuration: labConfiguration(lab))
                let expectedMapping: NATMapping = inviterKind == .symmetric ? .endpointDependent : .endpointIndependent
                let seenMapping = await inviter.node.mapping
                if seenMapping != expectedMapping { failures.append("\(inviterKind): probe said \(seenMapping)") }
                for (kind, harness) in [(inviterKind, inviter), (joinerKind, joiner)] {
                    let seen = await harness.node.filtering
                    if seen != expectedFiltering(kind) {
                        failures.append("\(kind): the filtering test said \(seen): \(harness.payloads(P2PNATFilteringTested.self))")
                    }
                }
                let token = await inviter.node.createToken()
                let peer = try await joiner.node.add(token: token.text)
                let connected = await joiner.node.waitConnected(peer, timeout: .seconds(8))
                let connectedAt = ContinuousClock.now
                let inviterSide = await inviter.node.waitConnected(joiner.node.peerID, timeout: .seconds(3))
                let expected = directPossible(inviterKind, joinerKind) ? "direct" : "relayed"
                var directAfter: Duration?
                if expected == "direct" {
                    // Punching's fast phase, or the spray's full sweep of a symmetric NAT's ports (≤ 13 s at 5000/s).
                    _ = await joiner.eventually(.seconds(25)) {
                        let mine = await joiner.node.peers().first?.path
                        let theirs = await inviter.node.peers().first?.path
                        return mine == "direct" && theirs == "direct"
                    }
                    directAfter = ContinuousClock.now - connectedAt
                } else {
                    // Give punching its fast phase (and a spray, which must not start) the chance to go direct.
                    try await Task.sleep(for: .milliseconds(3000))
                }
                let path = await joiner.node.peers().first?.path
                let pathOther = await inviter.node.peers().first?.path
                let label = "\(inviterKind.rawValue) inviter ↔ \(joinerKind.rawValue) joiner"
                // The spray runs on the easy side only, never between two symmetric NATs, and ends at the answer.
                for (side, kind, other, harness) in [("inviter", inviterKind, joinerKind, inviter), ("joiner", joinerKind, inviterKind, joiner)] {
                    let started = harness.payloads(P2PSprayStarted.self)
                    if !sprays(kind, toward: other) {
                        if !started.isEmpty { failures.append("\(label): the \(side) (\(kind.rawValue)) sprayed") }
                    } else if path == "direct" && !started.isEmpty {
                        // It either found the port (outcome direct) or stopped because ordinary punching won first.
                        let ended = await harness.eventually(.seconds(2)) {
                            harness.payloads(P2PSprayFinished.self).contains { ["direct", "stopped"].contains($0.outcome) && $0.probes > 0 }
                        }
                        if !ended {
                            failures.append("\(label): the \(side)'s spray did not end at the answer: \(harness.payloads(P2PSprayFinished.self))")
                        }
                    }
                }
                if kindPair(inviterKind, joinerKind, are: .portRestricted, .symmetric) {
                    let easy = inviterKind == .portRestricted ? inviter : joiner
                    let found = easy.payloads(P2PSprayFinished.self).first { $0.outcome == "direct" }
                    if found == nil { failures.append("\(label): no spray round ended direct") }
                    print("NAT matrix: \(label): spray \(found.map { "\($0.probes) probes, \($0.milliseconds) ms" } ?? "-")")
                }
                if kindPair(inviterKind, joinerKind, are: .fullCone, .symmetric) {
                    // The symmetric side knows the full cone lets anyone in (its filtering in the token and handshake),
                    // so its normal-TTL probes go straight in: direct within the fast punching phase (the protocol's
                    // 5 s, where the sweep — now only a fallback after it — has not even started).
                    if let directAfter, directAfter > .seconds(5) {
                        failures.append("\(label): direct only after \(directAfter), not within the 5 s fast punching phase")
                    }
                    print("NAT matrix: \(label): direct after \(directAfter.map { "\($0)" } ?? "-") (no sweep)")
                }
                if connected == nil || inviterSide == nil { failures.append("\(label): not connected") }
                if path != expected || pathOther != expected { failures.append("\(label): paths \(path ?? "-")/\(pathOther ?? "-"), expected \(expected)") }
                // A message each way on whatever path.
                _ = try? await joiner.node.send(topic: "m", body: [7], to: peer)
                _ = try? await inviter.node.send(topic: "m", body: [8], to: joiner.node.peerID)
                let gotA = await inviter.eventually(.seconds(3)) { inviter.messages.contains { $0.body == [7] } }
                let gotB = await joiner.eventually(.seconds(3)) { joiner.messages.contains { $0.body == [8] } }
                if !gotA || !gotB { failures.append("\(label): messages \(gotA)/\(gotB)") }
                print("NAT matrix: \(label): \(path ?? "none") (\(connected.map { _ in "connected" } ?? "failed"))")
                if connected == nil || path != expected {
                    for (name, node) in [("inviter", inviter), ("joiner", joiner)] {
                        print("  \(name) rejected \(await node.node.rejectionCounts()) relayFailure \(await node.node.relayFailure ?? "-")")
                        for event in node.events { print("  \(name) \(event.type) \(String(decoding: event.payload, as: UTF8.self).prefix(300))") }
                    }
                }
                await inviter.stop()
                await joiner.stop()
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("a relayed link keeps probing on the slow schedule and upgrades to direct when the direct path opens later; p2p.path_changed says so")
    func upgrade() async throws {
        let lab = NATLab()
        defer { lab.tearDown() }
        try await lab.build([.portRestricted, .portRestricted])
        // The "internet" drops traffic between the two sites' public addresses: only the relay works.
        let rule = "FORWARD -s \(lab.publicAddress(1)) -d \(lab.publicAddress(2)) -j DROP"
        let back = "FORWARD -s \(lab.publicAddress(2)) -d \(lab.publicAddress(1)) -j DROP"
        try lab.inNS(lab.inet, "iptables -A \(rule)")
        try lab.inNS(lab.inet, "iptables -A \(back)")
        let a = try await lab.node(site: 1, configuration: labConfiguration(lab))
        let b = try await lab.node(site: 2, configuration: labConfiguration(lab))
        let peer = try await b.node.add(token: await a.node.createToken().text)
        #expect(await b.node.waitConnected(peer, timeout: .seconds(8))?.path == "relayed")
        // Past the fast punching phase (5 s): only the slow upgrade probes can find the path now.
        try await Task.sleep(for: .seconds(6))
        #expect(await b.node.peers().first?.path == "relayed")
        #expect(await a.node.peers().first?.path == "relayed")
        try lab.inNS(lab.inet, "iptables -D \(rule)")
        try lab.inNS(lab.inet, "iptables -D \(back)")
        #expect(await b.eventually(.seconds(8)) { await b.node.peers().first?.path == "direct" })
        #expect(await a.eventually(.seconds(8)) { await a.node.peers().first?.path == "direct" })
        #expect(b.payloads(P2PPathChanged.self).contains { $0.from.hasPrefix("relayed") && $0.to.hasPrefix("direct") })
        await a.stop()
        await b.stop()
    }
}
