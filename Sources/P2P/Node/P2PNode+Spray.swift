import PartyBusPluginAPI

/// The hard-NAT "birthday" spray (docs/p2p.md "Hard NATs"). Between an endpoint-independent ("easy") NAT and an
/// endpoint-dependent ("hard", symmetric) one, the hard side's NAT maps its socket toward us at a random port. The
/// hard side keeps that mapping open with low-TTL probes to our address (openers: they never reach our NAT, so it
/// keeps no unanswered entry that would make it change our port), and we send probes to every port of its public
/// IP, a paced batch at a time, until one arrives at that port: the peer answers it, and both sides validate the
/// direct path (`p2p.path_changed`). Never when both sides are hard (neither port is known); never a second round
/// sooner than `retryAfter`.
extension P2PNode {
    /// Whether we spray toward this peer now: we are easy, it is hard, the link is up and not truly direct.
    func wantsSpray(_ link: Link) -> Bool {
        guard configuration.spray.enabled, natMapping == .endpointIndependent, link.peerMapping == .endpointDependent,
            link.state == .connected, link.current != nil else { return false }
        return !trulyDirect(link)
    }

    /// Direct to the peer itself: not to one of its relay addresses. (Behind a full-cone NAT the peer's relay's
    /// packets come straight in, so a link can look "direct" while every packet goes through the TURN server.)
    func trulyDirect(_ link: Link) -> Bool {
        guard case .direct(let address)? = link.active else { return false }
        return !isPeerRelay(address, of: link)
    }

    func isPeerRelay(_ address: UDPAddress, of link: Link) -> Bool {
        link.candidates.contains { $0.kind == .relay && $0.address == address }
    }

    /// Whether our direct probes to this peer must stay openers: we are hard, it is easy, the link is not direct
    /// (`PunchPolicy` lifts it when the peer's filtering is endpoint-independent).
    func hardTowardEasy(_ link: Link) -> Bool {
        guard configuration.spray.enabled, natMapping == .endpointDependent, link.peerMapping == .endpointIndependent else {
            return false
        }
        return !trulyDirect(link)
    }

    /// The peer's public IPv4 addresses (port 0): where its NAT's mappings live.
    func sprayTargets(_ link: Link) -> [UDPAddress] {
        var ips: [UDPAddress] = []
        for candidate in link.candidates where candidate.kind == .serverReflexive && candidate.address.isIPv4 {
            if candidate.address.isLoopback && !configuration.includeLoopback { continue }
            guard let ip = UDPAddress(ip: candidate.address.ip, port: 0), !ips.contains(ip) else { continue }
            ips.append(ip)
        }
        return ips
    }

    /// From the timer: starts a round for links that want one, and the node's spray loop if none runs.
    func scheduleSprays(now: ContinuousClock.Instant) {
        var anyRunning = false
        for peer in Array(links.keys) {
            guard let link = links[peer] else { continue }
            guard wantsSpray(link) else {
                if let spray = link.spray, spray.running { finishSpray(peer: peer, outcome: outcome(of: link)) }
                continue
            }
            if let spray = link.spray {
                if spray.running { anyRunning = true; continue }
                if let next = spray.nextRound, now < next { continue }
            }
            guard PunchPolicy.sweepMayStart(sinceConnected: now - link.connectedAt, startDelay: configuration.spray.startDelay,
                                            ourFiltering: natFiltering, fastPhaseOver: now >= link.fastProbeUntil)
            else { continue }
            let targets = sprayTargets(link)
            guard !targets.isEmpty else { continue }
            let range = sanitizedSprayRange
            let round = (link.spray?.round ?? 0) + 1
            links[peer]?.spray = HardNATSpray(targets: targets, round: round, range: range)
            emit(P2PSprayStarted(peer: peer, addresses: targets.map(\.ipText), ports: "\(range.lowerBound)-\(range.upperBound)",
                                 round: round, batchSize: configuration.spray.batchSize,
                                 batchIntervalMilliseconds: Int(configuration.spray.batchInterval / .milliseconds(1))))
            anyRunning = true
        }
        if anyRunning && !sprayLoopRunning {
            sprayLoopRunning = true
            let interval = configuration.spray.batchInterval
            jobSink.yield { [weak self] in
                while !Task.isCancelled, let self, await self.sprayBatch() {
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }

    var sanitizedSprayRange: ClosedRange<Int> {
        let range = configuration.spray.ports
        return max(1, range.lowerBound)...min(65535, max(max(1, range.lowerBound), range.upperBound))
    }

    /// One paced batch over every spraying link (the batch size is shared); false when no spray runs any more.
    func sprayBatch() -> Bool {
        let spraying = links.filter { $0.value.spray?.running == true }.map(\.key).sorted()
        var active: [String] = []
        for peer in spraying {
            guard let link = links[peer] else { continue }
            if !wantsSpray(link) { finishSpray(peer: peer, outcome: outcome(of: link)) } else { active.append(peer) }
        }
        guard !active.isEmpty else {
            sprayLoopRunning = false
            return false
        }
        let share = max(1, configuration.spray.batchSize / active.count)
        for peer in active {
            guard var spray = links[peer]?.spray else { continue }
            let portsPerTarget = max(1, share / spray.targets.count)
            let ports = spray.sweep.next(portsPerTarget)
            // One sealed probe a batch: the same packet to every port (only the one at the open port arrives).
            if !ports.isEmpty, let packet = seal(.probe(nonce: UInt64.random(in: 0...UInt64.max)), peer: peer) {
                for ip in spray.targets {
                    for port in ports {
                        guard let address = UDPAddress(ip: ip.ip, port: UInt16(port)) else { continue }
                        socket.send(packet, to: address)
                        spray.probesSent += 1
                    }
                }
            }
            links[peer]?.spray = spray
            if spray.sweep.exhausted { finishSpray(peer: peer, outcome: "exhausted") }
        }
        return true
    }

    func outcome(of link: Link) -> String {
        if trulyDirect(link) { return "direct" }
        return link.state == .connected ? "stopped" : "disconnected"
    }

    /// Ends a link's round: `direct` (the peer answered; the path is validated), `exhausted` (every port tried, the
    /// next round after `retryAfter`), `stopped` or `disconnected`.
    func finishSpray(peer: String, outcome: String) {
        guard var spray = links[peer]?.spray, spray.running else { return }
        let now = ContinuousClock.now
        spray.nextRound = now + configuration.spray.retryAfter
        links[peer]?.spray = spray
        let address: String? = if outcome == "direct", let active = links[peer]?.active { active.description } else { nil }
        emit(P2PSprayFinished(peer: peer, outcome: outcome, probes: spray.probesSent, round: spray.round,
                              milliseconds: Int((now - spray.started) / .milliseconds(1)), address: address))
    }
}
