import Crypto
import Foundation
import PartyBusPluginAPI

/// Receiving: STUN/TURN demultiplexing, handshakes, transport packets, path validation.
extension P2PNode {
    // MARK: receiving

    func handle(_ datagram: Datagram) {
        let bytes = datagram.bytes
        if bytes.first == PacketType.filteringProbe.rawValue {
            // Our own filtering test's probe (from our relay); anything else of this type is refused.
            if !filteringInbox.deliver(bytes, from: datagram.from) { reject("filtering_probe_unexpected") }
            return
        }
        if StunCodec.looksLikeStun(bytes) {
            guard let message = try? StunCodec.parse(bytes) else { return reject("stun_malformed") }
            if let allocation, datagram.from == allocation.server.address, message.method == .data {
                guard let (peer, data) = try? TurnAllocation.dataIndication(message) else { return reject("stun_malformed") }
                return handlePacket(data, path: .relayed(peer))
            }
            transactions.deliver(message)
            return
        }
        handlePacket(bytes, path: .direct(datagram.from))
    }

    func handlePacket(_ bytes: [UInt8], path: LinkPath) {
        switch bytes.first {
        case PacketType.initiation.rawValue: handleInitiation(bytes, path: path)
        case PacketType.response.rawValue: handleResponse(bytes, path: path)
        case PacketType.data.rawValue: handleData(bytes, path: path)
        default: reject("unknown_packet")
        }
    }

    func handleInitiation(_ bytes: [UInt8], path: LinkPath) {
        let digest = Array(SHA256.hash(data: bytes))
        if let cached = answered[digest] {
            transmit(cached.response, on: path)
            return
        }
        let inviteID = ResponderHandshake.inviteID(of: bytes) ?? 0
        let initiation: ResponderHandshake.Initiation
        do {
            initiation = try ResponderHandshake.read(bytes, identity: identity) { id, key throws(HandshakeRejection) in
                if id != 0 {
                    guard let invite = invites[id] else { throw .unknownInvite }
                    guard invite.expires > Date() else { throw .inviteExpired }
                    guard !invite.used else { throw .inviteUsed }
                    return invite.secret
                }
                guard let friend = friends[PeerID.of(key)] else { throw .unknownPeer }
                return friend.friendKey
            }
        } catch {
            reject("handshake_" + error.rawValue)
            if [.unknownInvite, .inviteExpired, .inviteUsed].contains(error) {
                emit(P2PTokenRejected(reason: error.rawValue, detail: "a handshake named invite \(String(inviteID, radix: 16))"))
            }
            return
        }
        guard let payload = try? HandshakePayload(decoding: initiation.payload) else { return reject("handshake_malformed") }
        let peer = PeerID.of(initiation.initiatorPublicKey)
        var link = links[peer] ?? Link(peerKey: initiation.initiatorPublicKey)
        if inviteID == 0 && payload.timestamp <= link.lastInitiationTimestamp { return reject("handshake_replayed") }
        if link.pending != nil, identity.publicKey.lexicographicallyPrecedes(initiation.initiatorPublicKey) {
            // Both started at once: ours wins; make sure it reaches them on the path theirs came by.
            transmit(link.pendingBytes, on: path)
            return
        }
        link.pending = nil
        link.lastInitiationTimestamp = payload.timestamp
        link.peerMapping = payload.natMapping
        link.peerFiltering = payload.natFiltering
        let known = link.candidates.count
        link.candidates = merge(link.candidates, payload.candidates)
        let moved = link.candidates.count > known
        if inviteID != 0 { invites[inviteID]?.used = true }
        let result: HandshakeResult
        let response: [UInt8]
        do {
            (result, response) = try ResponderHandshake.respond(
                to: initiation, payload: HandshakePayload(timestamp: timestamp(), natMapping: natMapping, natFiltering: natFiltering,
                                                   candidates: candidates).encoded)
        } catch { return reject("handshake_malformed") }
        answered[digest] = (response, .now + .seconds(30))
        transmit(response, on: path)
        links[peer] = link
        let via = inviteID != 0 ? "invite" : "friend"
        if inviteID != 0 || friends[peer] == nil {
            friends[peer] = Friend(peer: peer, friendKey: result.friendKey, candidates: link.candidates)
            saveFriends()
        }
        install(result, peer: peer, path: path, via: via, started: nil, peerMoved: moved)
    }

    func handleResponse(_ bytes: [UInt8], path: LinkPath) {
        guard bytes.count >= 9 else { return reject("handshake_malformed") }
        let receiver = read32(bytes, 5)
        guard let entry = links.first(where: { $0.value.pending?.localIndex == receiver }), let pending = entry.value.pending else {
            return reject("unknown_session")
        }
        let (peer, link) = (entry.key, entry.value)
        let result: HandshakeResult
        do { result = try pending.finish(bytes) } catch { return reject("handshake_" + error.rawValue) }
        guard let payload = try? HandshakePayload(decoding: result.peerPayload) else { return reject("handshake_malformed") }
        var updated = link
        updated.peerMapping = payload.natMapping
        updated.peerFiltering = payload.natFiltering
        let known = updated.candidates.count
        updated.candidates = merge(updated.candidates, payload.candidates)
        let moved = updated.candidates.count > known || updated.pendingReason == "network_change"
        links[peer] = updated
        if updated.pendingReason == "invite" || friends[peer] == nil {
            friends[peer] = Friend(peer: peer, friendKey: result.friendKey, candidates: updated.candidates)
            saveFriends()
        }
        install(result, peer: peer, path: path, via: updated.pendingReason == "invite" ? "invite" : "friend",
                started: updated.pendingStarted, peerMoved: moved)
    }

    /// Installs a finished handshake. `peerMoved`: it brought new candidates or answered our network-change
    /// handshake — the path it came by works now, the old one may not, and punching starts over.
    func install(_ result: HandshakeResult, peer: String, path: LinkPath, via: String, started: ContinuousClock.Instant?,
                 peerMoved: Bool = false) {
        guard var link = links[peer] else { return }
        let now = ContinuousClock.now
        let wasConnected = link.state == .connected && link.current != nil
        if let old = link.previous { indexToPeer[old.localIndex] = nil }
        link.previous = link.current
        link.current = TransportSession(result)
        indexToPeer[result.localIndex] = peer
        link.pending = nil
        link.state = .connected
        link.lastReceived = now
        link.backoff = .seconds(1)
        if case .direct(let address) = path { link.validatedDirect.insert(address) }
        let oldPath = link.active
        if !wasConnected || peerMoved {
            link.active = path
            link.connectedAt = now
            link.fastProbeUntil = now + .seconds(5)
            link.lastProbe = now - .seconds(3600)
        }
        if !wasConnected { link.via = via }
        links[peer] = link
        if wasConnected, peerMoved, let oldPath, oldPath != path {
            emit(P2PPathChanged(peer: peer, from: oldPath.description, to: path.description))
        }
        if let friend = friends[peer], friend.candidates != link.candidates {
            friends[peer]?.candidates = link.candidates
            saveFriends()
        }
        permitRelay(for: link)
        if wasConnected {
            emit(P2PRekeyed(peer: peer))
        } else {
            let milliseconds = started.map { Int((now - $0) / .milliseconds(1)) } ?? 0
            emit(P2PPeerConnected(peer: peer, path: path.kind, address: addressText(path), via: via,
                                  handshakeMilliseconds: milliseconds))
        }
        sendProbes(peer: peer)
        // The initiator confirms the keys at once so the responder may send.
        if result.weInitiated { _ = sendInner(.keepalive, to: peer) }
    }

    func handleData(_ bytes: [UInt8], path: LinkPath) {
        guard let index = TransportSession.receiverIndex(of: bytes), let peer = indexToPeer[index], var link = links[peer] else {
            return reject("unknown_session")
        }
        let plain: [UInt8]
        do {
            if link.current?.localIndex == index {
                plain = try link.current!.open(bytes)
            } else if link.previous?.localIndex == index {
                plain = try link.previous!.open(bytes)
            } else {
                return reject("unknown_session")
            }
        } catch {
            links[peer] = link
            return reject("data_" + error.rawValue)
        }
        let now = ContinuousClock.now
        link.lastReceived = now
        if link.state != .connected {
            link.state = .connected
            emit(P2PPeerConnected(peer: peer, path: path.kind, address: addressText(path), via: "resumed", handshakeMilliseconds: 0))
            if link.active == nil { link.active = path }
        }
        guard let inner = try? InnerMessage(decoding: plain) else {
            links[peer] = link
            return reject("data_malformed")
        }
        if case .direct(let address) = path, !link.candidates.contains(where: { $0.address == address }) {
            link.candidates.append(Candidate(.serverReflexive, address))  // peer-reflexive
        }
        links[peer] = link
        switch inner {
        case .probe(let nonce):
            if let packet = seal(.probeAck(nonce: nonce), peer: peer) { transmit(packet, on: path) }
            validated(peer: peer, path: path, follow: false)
        case .probeAck:
            validated(peer: peer, path: path, follow: false)
        case .keepalive:
            validated(peer: peer, path: path, follow: true)
        case .message(let topic, let body):
            validated(peer: peer, path: path, follow: true)
            links[peer]?.messagesReceived += 1
            messageSink.yield(ReceivedMessage(peer: peer, topic: topic, body: body))
        }
    }

    /// A path carried an authenticated packet: switch to it when it is better (direct over relayed, LAN first),
    /// or when the peer moved (`follow`: its keepalives and messages come from where it now is).
    func validated(peer: String, path: LinkPath, follow: Bool) {
        guard var link = links[peer] else { return }
        let old = link.active
        if case .direct(let address) = path {
            link.validatedDirect.insert(address)
            link.lastDirectReceived = .now
            let isHost = link.candidates.contains { $0.kind == .host && $0.address == address }
            switch old {
            case nil, .relayed:
                link.active = path
            case .direct(let current) where current != address:
                let currentIsHost = link.candidates.contains { $0.kind == .host && $0.address == current }
                // The peer's own address beats one of its relay addresses that looked direct (full-cone NAT).
                let better = (isHost && !currentIsHost) || (isPeerRelay(current, of: link) && !isPeerRelay(address, of: link))
                if follow || better { link.active = path }
            default:
                break
            }
        } else if old == nil {
            link.active = path
        } else if follow, case .relayed(let current) = old, path != .relayed(current) {
            // The peer's relay moved (it allocated anew after a network change).
            link.active = path
        } else if follow, case .direct = old, ContinuousClock.now - link.lastDirectReceived > configuration.keepaliveInterval * 2 {
            // The direct path went quiet while the relay still carries the peer: fall back to the relay.
            link.active = path
        }
        links[peer] = link
        if let new = link.active, new != old, let old {
            emit(P2PPathChanged(peer: peer, from: old.description, to: new.description))
        }
        // The first authenticated answer on a direct path ends a spray at once.
        if trulyDirect(link), link.spray?.running == true { finishSpray(peer: peer, outcome: "direct") }
    }
}
