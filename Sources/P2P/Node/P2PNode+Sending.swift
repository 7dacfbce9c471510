import Foundation
import PartyBusPluginAPI

/// Sending: sealing, paths (direct, relayed), probes, initiations, relay permissions.
extension P2PNode {
    // MARK: sending

    func transmit(_ bytes: [UInt8], on path: LinkPath) {
        switch path {
        case .direct(let address): socket.send(bytes, to: address)
        case .relayed(let peer): allocation?.send(bytes, to: peer)
        }
    }

    func seal(_ inner: InnerMessage, peer: String) -> [UInt8]? {
        guard var link = links[peer], var session = link.current else { return nil }
        let packet = try? session.seal(inner.encoded)
        link.current = session
        links[peer] = link
        return packet
    }

    func sendInner(_ inner: InnerMessage, to peer: String) -> Bool {
        guard let path = links[peer]?.active, let packet = seal(inner, peer: peer) else { return false }
        transmit(packet, on: path)
        // Only what goes on the active path counts for the keepalive: probes and sprays to other paths do not
        // reach the peer while the link is relayed.
        links[peer]?.lastSent = .now
        return true
    }

    func directTargets(_ link: Link) -> [UDPAddress] {
        var seen: [UDPAddress] = []
        for candidate in link.candidates where candidate.kind != .relay && !seen.contains(candidate.address) {
            if candidate.address.isLoopback && !configuration.includeLoopback { continue }
            seen.append(candidate.address)
        }
        return seen
    }

    /// Where the relay can reach the peer: its relay and server-reflexive (or peer-reflexive) addresses. Host
    /// addresses are private to the peer's network; the TURN server cannot route them, and coturn answers a Send
    /// indication to an unroutable peer by dropping later ones on that allocation (measured, see docs/p2p.md).
    func relayTargets(_ link: Link) -> [UDPAddress] {
        var seen: [UDPAddress] = []
        for candidate in link.candidates where candidate.kind != .host && !seen.contains(candidate.address) {
            if candidate.address.isLoopback && !configuration.includeLoopback { continue }
            seen.append(candidate.address)
        }
        return seen
    }

    func sendProbes(peer: String) {
        guard let link = links[peer], link.current != nil else { return }
        links[peer]?.lastProbe = .now
        let nonce = UInt64.random(in: 0...UInt64.max)
        // Openers for the first moments after a handshake; and always while we (hard NAT) wait for an easy peer's
        // spray to find our mapping: a normal-TTL probe reaching its NAT first would make it change its port.
        // Never toward a peer whose NAT lets anyone in (endpoint-independent filtering): see `PunchPolicy`.
        let openerPhase = ContinuousClock.now < link.connectedAt + configuration.openerPhase
        let opener = PunchPolicy.probesAreOpeners(openerPhase: openerPhase, hardTowardEasy: hardTowardEasy(link),
                                                  peerFiltering: link.peerFiltering) ? configuration.openerTTL : nil
        for address in directTargets(link) {
            guard let packet = seal(.probe(nonce: nonce), peer: peer) else { continue }
            if let ttl = opener, !address.isLoopback { socket.send(packet, to: address, ttl: ttl) } else { transmit(packet, on: .direct(address)) }
        }
    }

    func sendEverywhere(_ inner: InnerMessage, peer: String) {
        guard let link = links[peer] else { return }
        for address in directTargets(link) {
            if let packet = seal(inner, peer: peer) { transmit(packet, on: .direct(address)) }
        }
        if allocation != nil {
            for address in relayTargets(link) {
                if let packet = seal(inner, peer: peer) { transmit(packet, on: .relayed(address)) }
            }
        }
    }

    func startHandshake(peer: String, psk: [UInt8], inviteID: UInt32, reason: String) {
        guard var link = links[peer] else { return }
        let payload = HandshakePayload(timestamp: timestamp(), natMapping: natMapping, natFiltering: natFiltering,
                                       candidates: candidates)
        guard let (handshake, bytes) = try? InitiatorHandshake.start(
            identity: identity, responderPublicKey: link.peerKey, psk: psk, inviteID: inviteID, payload: payload.encoded)
        else { return }
        link.pending = handshake
        link.pendingBytes = bytes
        link.pendingReason = reason
        link.pendingStarted = .now
        link.pendingLastSent = .now - .seconds(3600)
        if link.state == .disconnected { link.state = .connecting }
        links[peer] = link
        permitRelay(for: link)
        emit(P2PPeerConnecting(peer: peer, reason: reason, candidates: link.candidates.map(\.description)))
        sendInitiation(peer: peer)
    }

    func sendInitiation(peer: String) {
        guard var link = links[peer], link.pending != nil else { return }
        let now = ContinuousClock.now
        link.pendingLastSent = now
        links[peer] = link
        // With a relay on both sides the handshake goes through the relay; direct initiations then leave as openers
        // (low TTL) for the first second: an initiation reaching a port-restricted peer's NAT before that peer sent
        // anything to us leaves an inbound conntrack entry there, and Linux then gives the peer's own packets to us
        // another source port (measured in the namespaces) — punching would never meet. After that second (the
        // relay did not answer), or without a relay, they go at the normal TTL so a cone peer receives them.
        let relayCarries = allocation != nil && link.candidates.contains { $0.kind == .relay }
        let opener = relayCarries && now - link.pendingStarted < .seconds(1) ? configuration.openerTTL : nil
        for address in directTargets(link) {
            if let ttl = opener, !address.isLoopback {
                socket.send(link.pendingBytes, to: address, ttl: ttl)
            } else {
                transmit(link.pendingBytes, on: .direct(address))
            }
        }
        if allocation != nil {
            for address in relayTargets(link) { transmit(link.pendingBytes, on: .relayed(address)) }
        }
    }

    func permitRelay(for link: Link) {
        guard let allocation else { return }
        let addresses = relayTargets(link) + [allocation.relayedAddress]
        jobSink.yield { try? await allocation.permit(addresses) }
    }
}
