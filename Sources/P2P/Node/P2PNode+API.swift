import Foundation
import PartyBusPluginAPI

/// The node's public API: tokens, adding friends, peers, sending, forgetting.
extension P2PNode {
    // MARK: public API

    /// Our candidates (after gathering).
    public var localCandidates: [Candidate] { candidates }

    /// The NAT mapping the probe found.
    public var mapping: NATMapping { natMapping }

    /// The NAT filtering the relay test found.
    public var filtering: NATFiltering { natFiltering }

    /// Why the relay could not be allocated, if it could not.
    public var relayFailure: String? { relayError }

    /// Makes a one-time invitation.
    public func createToken(lifetime: Duration? = nil) -> PartyToken {
        let life = lifetime ?? configuration.tokenLifetime
        let expires = Date().addingTimeInterval(Double(life.components.seconds) + Double(life.components.attoseconds) / 1e18)
        let secret = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let token = PartyToken(expires: expires, natMapping: natMapping, natFiltering: natFiltering, publicKey: identity.publicKey,
                               inviteSecret: secret, candidates: candidates)
        invites[token.inviteID] = Invite(secret: secret, expires: expires, used: false)
        emit(P2PTokenCreated(inviteID: String(token.inviteID, radix: 16), expiresAt: ISO8601DateFormatter().string(from: expires),
                             candidates: token.candidates.map(\.description)))
        return token
    }

    /// Uses a friend's token: starts connecting and returns the peer id. Throws when the token is bad, expired,
    /// ours, or was used before.
    public func add(token text: String) throws -> String {
        let token: PartyToken
        do { token = try PartyToken(parsing: text) } catch let error as P2PError {
            emit(P2PTokenRejected(reason: error.message.contains("expired") ? "expired" : "malformed", detail: error.message))
            throw error
        }
        guard token.publicKey != identity.publicKey else { throw P2PError("this is our own token") }
        guard usedTokens.insert(token.inviteSecret).inserted else {
            emit(P2PTokenRejected(reason: "invite_used", detail: "this token was already used here"))
            throw P2PError("this token was already used (tokens are single use: ask for a new one)")
        }
        let peer = PeerID.of(token.publicKey)
        var link = links[peer] ?? Link(peerKey: token.publicKey)
        link.candidates = merge(link.candidates, token.candidates)
        link.via = "invite"
        link.peerMapping = token.natMapping
        link.peerFiltering = token.natFiltering
        links[peer] = link
        startHandshake(peer: peer, psk: token.inviteSecret, inviteID: token.inviteID, reason: "invite")
        return peer
    }

    /// Every link.
    public func peers() -> [PeerStatus] {
        links.values.sorted { $0.peer < $1.peer }.map { link in
            let address: String? = switch link.active {
            case .direct(let a), .relayed(let a): a.description
            case nil: nil
            }
            return PeerStatus(peer: link.peer, state: link.state.rawValue, path: link.active?.kind, address: address,
                              friend: friends[link.peer] != nil, messagesSent: link.messagesSent,
                              messagesReceived: link.messagesReceived)
        }
    }

    /// Waits until a peer is connected (or the time is up); returns its status.
    public func waitConnected(_ peer: String, timeout: Duration) async -> PeerStatus? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = peers().first(where: { $0.peer == peer }), status.state == "connected" { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Sends a message to one peer or every connected peer; returns how many got it. Throws for an unknown or
    /// unconnected peer, or a topic longer than 64 bytes.
    @discardableResult
    public func send(topic: String, body: [UInt8], to peer: String? = nil) throws -> Int {
        guard !topic.isEmpty, topic.utf8.count <= 64 else { throw P2PError("topic must be 1–64 bytes") }
        guard body.count <= 1200 else { throw P2PError("message is \(body.count) bytes; at most 1200 fit a datagram") }
        let targets: [String]
        if let peer {
            guard let link = links[peer] else { throw P2PError("no peer \(peer)") }
            guard link.state == .connected else { throw P2PError("peer \(peer) is \(link.state.rawValue), not connected") }
            targets = [peer]
        } else {
            targets = links.values.filter { $0.state == .connected }.map(\.peer)
        }
        var sent = 0
        for target in targets where sendInner(.message(topic: topic, body: body), to: target) {
            links[target]?.messagesSent += 1
            sent += 1
        }
        return sent
    }

    /// Forgets a friend: drops its link and key.
    public func forget(peer: String) throws {
        guard links[peer] != nil || friends[peer] != nil else { throw P2PError("no peer \(peer)") }
        if let link = links.removeValue(forKey: peer) {
            for index in [link.current?.localIndex, link.previous?.localIndex].compactMap({ $0 }) { indexToPeer[index] = nil }
            if link.state == .connected { emit(P2PPeerDisconnected(peer: peer, reason: "forgotten")) }
        }
        friends[peer] = nil
        saveFriends()
        emit(P2PFriendForgotten(peer: peer))
    }

    /// Refused packets and handshakes since start, by reason.
    public func rejectionCounts() -> [String: Int] { rejections }

    /// Saved friends.
    public func friendList() -> [Friend] { friends.values.sorted { $0.peer < $1.peer } }
}
