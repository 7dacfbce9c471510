import Foundation
import PartyBusPluginAPI

/// Network changes: when a link goes quiet the node re-runs STUN and checks its relay allocation (a NAT that
/// rebound our mapping, or a new local address, makes both stale); new candidates go to every friend in a fresh
/// handshake through every path (relay included), and both sides re-punch.
extension P2PNode {
    /// Starts a check in the background unless one runs or ran within `minimumGap`.
    func checkNetwork(reason: String, minimumGap: Duration) {
        let now = ContinuousClock.now
        guard !networkCheckRunning, now - lastNetworkCheck >= minimumGap else { return }
        networkCheckRunning = true
        lastNetworkCheck = now
        let stun = self.stun
        let servers = configuration.stunServers
        let turn = configuration.turn
        let allocation = self.allocation
        let knownReflexive = Set(candidates.filter { $0.kind == .serverReflexive }.map(\.address))
        let hosts = hostAddresses
        jobSink.yield {
            let probe: NATProbeResult? = servers.isEmpty ? nil : await stun.probe(servers: servers)
            var fresh: TurnAllocation?
            var relayProblem: String?
            if let turn {
                // A Refresh from a new NAT mapping is a new 5-tuple to the server: 437 (allocation mismatch).
                let alive: Bool
                if let allocation { alive = (try? await allocation.refresh()) != nil } else { alive = false }
                if !alive {
                    do {
                        let allocated = try await TurnAllocation.allocate(server: turn, client: stun)
                        try await allocated.permit([allocated.relayedAddress])
                        fresh = allocated
                    } catch {
                        relayProblem = "\(error)"
                    }
                }
            }
            // Our mapping moved (a new relay allocation, other server-reflexive addresses): test the filtering again.
            let reflexive = probe?.reflexiveAddresses.filter { !hosts.contains($0) } ?? []
            var filtering: NATFiltering?
            if fresh != nil || (!reflexive.isEmpty && Set(reflexive) != knownReflexive) {
                // A surviving allocation's XOR-MAPPED-ADDRESS is the old mapping: aim at the new reflexive one.
                filtering = await self.testFiltering(allocation: fresh ?? allocation, mapped: fresh?.mappedAddress,
                                                     reflexive: reflexive)
            }
            await self.networkChecked(probe: probe, newAllocation: fresh, relayProblem: relayProblem, reason: reason,
                                      filtering: filtering)
        }
    }

    /// Applies a check's result: new server-reflexive and relay candidates replace the old ones; when anything
    /// changed every connected friend gets a new handshake carrying them (reason `network_change`).
    func networkChecked(probe: NATProbeResult?, newAllocation: TurnAllocation?, relayProblem: String?, reason: String,
                        filtering: NATFiltering? = nil) {
        networkCheckRunning = false
        if let filtering { natFiltering = filtering }
        var reflexive = candidates.filter { $0.kind == .serverReflexive }
        if let probe, !probe.reflexiveAddresses.isEmpty {
            // No answer at all (an outage) keeps what we knew: it is likely to hold again when the network is back.
            natMapping = probe.mapping
            reflexive = probe.reflexiveAddresses.filter { !hostAddresses.contains($0) }.map { Candidate(.serverReflexive, $0) }
        }
        var relay = candidates.filter { $0.kind == .relay }
        if let newAllocation {
            allocation?.release()
            allocation = newAllocation
            relayError = nil
            relay = [Candidate(.relay, newAllocation.relayedAddress)]
            let addresses = links.values.flatMap { relayTargets($0) } + [newAllocation.relayedAddress]
            lastPermitRound = .now
            jobSink.yield { try? await newAllocation.permit(addresses, force: true) }
        } else if let relayProblem, allocation == nil {
            relayError = relayProblem
        }
        let updated = hostAddresses.map { Candidate(.host, $0) } + reflexive + relay
        guard updated != candidates else { return }
        candidates = updated
        emit(P2PCandidatesChanged(candidates: updated.map(\.description), natMapping: natMapping.rawValue,
                                  natFiltering: natFiltering.rawValue,
                                  relay: allocation?.relayedAddress.description, reason: reason))
        for (peer, link) in links where link.state == .connected && link.pending == nil {
            guard let friend = friends[peer] else { continue }
            startHandshake(peer: peer, psk: friend.friendKey, inviteID: 0, reason: "network_change")
        }
    }
}
