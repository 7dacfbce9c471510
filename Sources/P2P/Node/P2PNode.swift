import Crypto
public import Foundation
import NIOCore
public import PartyBusPluginAPI

/// A message a peer sent us on a topic.
public struct ReceivedMessage: Sendable, Hashable {
    /// The sender's peer id.
    public let peer: String
    /// The topic.
    public let topic: String
    /// The body bytes.
    public let body: [UInt8]
}

/// One engine's P2P node: one UDP socket, STUN and TURN, invitations, the handshake, encrypted links to every
/// peer (a mesh), hole punching, keepalives, rekeying and reconnects. An actor: every packet and timer tick is
/// handled in order on it; socket I/O happens on NIO's event loop, never blocking the pool.
public actor P2PNode {
    /// Events to append to the log (`p2p.*`), in order. Never a key or secret.
    public nonisolated let events: AsyncStream<EventDraft>
    /// Messages peers sent us.
    public nonisolated let messages: AsyncStream<ReceivedMessage>
    /// Our peer id.
    public nonisolated let peerID: String

    private let eventSink: AsyncStream<EventDraft>.Continuation
    private let messageSink: AsyncStream<ReceivedMessage>.Continuation
    private let jobs: AsyncStream<@Sendable () async -> Void>
    private let jobSink: AsyncStream<@Sendable () async -> Void>.Continuation
    private let socket: UDPSocket
    private let identity: IdentityKey
    private let configuration: P2PConfiguration
    private let hostAddresses: [UDPAddress]
    private let transactions = StunTransactions()
    private let stun: StunClient
    private let friendStore: FriendStore

    private var allocation: TurnAllocation?
    private var relayError: String?
    private var candidates: [Candidate] = []
    private var natMapping: NATMapping = .unknown
    private struct Invite {
        let secret: [UInt8]
        let expires: Date
        var used: Bool
    }
    private var invites: [UInt32: Invite] = [:]
    private var usedTokens: Set<[UInt8]> = []
    private var friends: [String: Friend] = [:]
    private var links: [String: Link] = [:]
    private var indexToPeer: [UInt32: String] = [:]
    private var answered: [[UInt8]: (response: [UInt8], until: ContinuousClock.Instant)] = [:]
    private var rejections: [String: Int] = [:]
    private var reportedRejections: [String: Int] = [:]
    private var lastRejectionReport = ContinuousClock.now
    private var lastPermitRound = ContinuousClock.now
    private var lastRefresh = ContinuousClock.now
    private var ready = false
    private var readyWaiters: [CheckedContinuation<Void, Never>] = []
    private var lastTimestamp: UInt64 = 0

    /// Makes a node on a bound socket. `hostAddresses` are our interface addresses (host candidates);
    /// `dataFolder` holds the friends file (nil: friends live in memory only).
    public init(socket: UDPSocket, identity: IdentityKey, hostAddresses: [UDPAddress], configuration: P2PConfiguration,
                dataFolder: URL?) throws
    {
        self.socket = socket
        self.identity = identity
        self.configuration = configuration
        self.hostAddresses = hostAddresses
        self.peerID = PeerID.of(identity.publicKey)
        (events, eventSink) = AsyncStream.makeStream(of: EventDraft.self, bufferingPolicy: .bufferingOldest(10_000))
        (messages, messageSink) = AsyncStream.makeStream(of: ReceivedMessage.self, bufferingPolicy: .bufferingOldest(10_000))
        (jobs, jobSink) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        stun = StunClient(sender: socket, transactions: transactions, retransmission: configuration.retransmission)
        friendStore = FriendStore(file: dataFolder?.appendingPathComponent("p2p-friends.json"))
        friends = try friendStore.load()
    }

    /// Binds a socket on `host:port` and finds the host's interface addresses.
    public static func bind(host: String = "0.0.0.0", port: Int = 0, includeLoopback: Bool) async throws -> (UDPSocket, [UDPAddress]) {
        let socket = try await UDPSocket.bind(host: host, port: port)
        let bound = socket.localAddress
        var addresses: [UDPAddress] = []
        if bound.ip.allSatisfy({ $0 == 0 }) {
            for device in (try? System.enumerateDevices()) ?? [] {
                guard let address = device.address, let udp = UDPAddress(address), udp.isIPv4 == bound.isIPv4 else { continue }
                if udp.isLoopback && !includeLoopback { continue }
                if let withPort = UDPAddress(ip: udp.ip, port: bound.port), !addresses.contains(withPort) { addresses.append(withPort) }
            }
        } else {
            addresses = [bound]
        }
        return (socket, addresses)
    }

    // MARK: running

    /// Runs the node until cancelled: the receive loop, the timer, background jobs; gathers candidates first.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let socket = self.socket
            group.addTask {
                for await datagram in socket.received { await self.handle(datagram) }
            }
            let tick = configuration.punchInterval / 2
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: tick)
                    await self.maintain()
                }
            }
            let jobs = self.jobs
            group.addTask {
                await withDiscardingTaskGroup { jobGroup in
                    for await job in jobs { jobGroup.addTask { await job() } }
                }
            }
            group.addTask { await self.gather() }
            defer { group.cancelAll() }
            try await group.next()
            try await group.next()
        }
    }

    /// Stops the node: releases the relay, closes the socket.
    public func shutdown() async {
        allocation?.release()
        jobSink.finish()
        await socket.close()
        eventSink.finish()
        messageSink.finish()
    }

    /// Waits until candidates are gathered.
    public func waitUntilReady() async {
        if ready { return }
        await withCheckedContinuation { readyWaiters.append($0) }
    }

    private func gather() async {
        var gathered = hostAddresses.map { Candidate(.host, $0) }
        if !configuration.stunServers.isEmpty {
            let probe = await stun.probe(servers: configuration.stunServers)
            natMapping = probe.mapping
            for address in probe.reflexiveAddresses where !hostAddresses.contains(address) {
                gathered.append(Candidate(.serverReflexive, address))
            }
            emit(P2PNATProbed(answers: probe.answers.map {
                .init(server: $0.server.description, mapped: $0.mapped?.description, error: $0.error)
            }, natMapping: probe.mapping.rawValue))
        }
        if let turn = configuration.turn {
            do {
                let allocation = try await TurnAllocation.allocate(server: turn, client: stun)
                self.allocation = allocation
                gathered.append(Candidate(.relay, allocation.relayedAddress))
                // Peers relaying through the same server reach us from its relayed addresses: permit its own IP.
                try await allocation.permit([allocation.relayedAddress])
            } catch {
                relayError = "\(error)"
            }
        }
        candidates = gathered
        emit(P2PNodeStarted(peer: peerID, candidates: gathered.map(\.description), natMapping: natMapping.rawValue,
                            relay: allocation?.relayedAddress.description))
        for friend in friends.values where links[friend.peer] == nil {
            guard let key = try? PeerID.key(friend.peer) else { continue }
            var link = Link(peerKey: key)
            link.candidates = friend.candidates
            link.state = .disconnected
            link.via = "friend"
            link.nextReconnect = .now
            links[friend.peer] = link
        }
        ready = true
        for waiter in readyWaiters { waiter.resume() }
        readyWaiters = []
    }

    // MARK: public API

    /// Our candidates (after gathering).
    public var localCandidates: [Candidate] { candidates }

    /// The NAT mapping the probe found.
    public var mapping: NATMapping { natMapping }

    /// Why the relay could not be allocated, if it could not.
    public var relayFailure: String? { relayError }

    /// Makes a one-time invitation.
    public func createToken(lifetime: Duration? = nil) -> PartyToken {
        let life = lifetime ?? configuration.tokenLifetime
        let expires = Date().addingTimeInterval(Double(life.components.seconds) + Double(life.components.attoseconds) / 1e18)
        let secret = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let token = PartyToken(expires: expires, natMapping: natMapping, publicKey: identity.publicKey,
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

    // MARK: receiving

    private func handle(_ datagram: Datagram) {
        let bytes = datagram.bytes
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

    private func handlePacket(_ bytes: [UInt8], path: LinkPath) {
        switch bytes.first {
        case PacketType.initiation.rawValue: handleInitiation(bytes, path: path)
        case PacketType.response.rawValue: handleResponse(bytes, path: path)
        case PacketType.data.rawValue: handleData(bytes, path: path)
        default: reject("unknown_packet")
        }
    }

    private func handleInitiation(_ bytes: [UInt8], path: LinkPath) {
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
        link.candidates = merge(link.candidates, payload.candidates)
        if inviteID != 0 { invites[inviteID]?.used = true }
        let result: HandshakeResult
        let response: [UInt8]
        do {
            (result, response) = try ResponderHandshake.respond(
                to: initiation, payload: HandshakePayload(timestamp: timestamp(), candidates: candidates).encoded)
        } catch { return reject("handshake_malformed") }
        answered[digest] = (response, .now + .seconds(30))
        transmit(response, on: path)
        links[peer] = link
        let via = inviteID != 0 ? "invite" : "friend"
        if inviteID != 0 || friends[peer] == nil {
            friends[peer] = Friend(peer: peer, friendKey: result.friendKey, candidates: link.candidates)
            saveFriends()
        }
        install(result, peer: peer, path: path, via: via, started: nil)
    }

    private func handleResponse(_ bytes: [UInt8], path: LinkPath) {
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
        updated.candidates = merge(updated.candidates, payload.candidates)
        links[peer] = updated
        if updated.pendingReason == "invite" || friends[peer] == nil {
            friends[peer] = Friend(peer: peer, friendKey: result.friendKey, candidates: updated.candidates)
            saveFriends()
        }
        install(result, peer: peer, path: path, via: updated.pendingReason == "invite" ? "invite" : "friend",
                started: updated.pendingStarted)
    }

    private func install(_ result: HandshakeResult, peer: String, path: LinkPath, via: String, started: ContinuousClock.Instant?) {
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
        if !wasConnected {
            link.active = path
            link.connectedAt = now
            link.fastProbeUntil = now + .seconds(5)
            link.via = via
        }
        links[peer] = link
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

    private func handleData(_ bytes: [UInt8], path: LinkPath) {
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
    private func validated(peer: String, path: LinkPath, follow: Bool) {
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
                if follow || (isHost && !currentIsHost) { link.active = path }
            default:
                break
            }
        } else if old == nil {
            link.active = path
        } else if follow, case .direct = old, ContinuousClock.now - link.lastDirectReceived > configuration.keepaliveInterval * 2 {
            // The direct path went quiet while the relay still carries the peer: fall back to the relay.
            link.active = path
        }
        links[peer] = link
        if let new = link.active, new != old, let old {
            emit(P2PPathChanged(peer: peer, from: old.description, to: new.description))
        }
    }

    // MARK: sending

    private func transmit(_ bytes: [UInt8], on path: LinkPath) {
        switch path {
        case .direct(let address): socket.send(bytes, to: address)
        case .relayed(let peer): allocation?.send(bytes, to: peer)
        }
    }

    private func seal(_ inner: InnerMessage, peer: String) -> [UInt8]? {
        guard var link = links[peer], var session = link.current else { return nil }
        let packet = try? session.seal(inner.encoded)
        link.current = session
        link.lastSent = .now
        links[peer] = link
        return packet
    }

    private func sendInner(_ inner: InnerMessage, to peer: String) -> Bool {
        guard let path = links[peer]?.active, let packet = seal(inner, peer: peer) else { return false }
        transmit(packet, on: path)
        return true
    }

    private func directTargets(_ link: Link) -> [UDPAddress] {
        var seen: [UDPAddress] = []
        for candidate in link.candidates where candidate.kind != .relay && !seen.contains(candidate.address) {
            if candidate.address.isLoopback && !configuration.includeLoopback { continue }
            seen.append(candidate.address)
        }
        return seen
    }

    private func sendProbes(peer: String) {
        guard let link = links[peer], link.current != nil else { return }
        links[peer]?.lastProbe = .now
        let nonce = UInt64.random(in: 0...UInt64.max)
        let opener = ContinuousClock.now < link.connectedAt + configuration.openerPhase ? configuration.openerTTL : nil
        for address in directTargets(link) {
            guard let packet = seal(.probe(nonce: nonce), peer: peer) else { continue }
            if let ttl = opener, !address.isLoopback { socket.send(packet, to: address, ttl: ttl) } else { transmit(packet, on: .direct(address)) }
        }
    }

    private func sendEverywhere(_ inner: InnerMessage, peer: String) {
        guard let link = links[peer] else { return }
        for address in directTargets(link) {
            if let packet = seal(inner, peer: peer) { transmit(packet, on: .direct(address)) }
        }
        if allocation != nil {
            for candidate in link.candidates {
                if let packet = seal(inner, peer: peer) { transmit(packet, on: .relayed(candidate.address)) }
            }
        }
    }

    private func startHandshake(peer: String, psk: [UInt8], inviteID: UInt32, reason: String) {
        guard var link = links[peer] else { return }
        let payload = HandshakePayload(timestamp: timestamp(), candidates: candidates)
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

    private func sendInitiation(peer: String) {
        guard var link = links[peer], link.pending != nil else { return }
        link.pendingLastSent = .now
        links[peer] = link
        // Direct initiations go at the normal TTL: a cone inviter must receive them (the relay rendezvous is not
        // reliable yet, see docs/p2p.md "Known limits").
        for address in directTargets(link) { transmit(link.pendingBytes, on: .direct(address)) }
        if allocation != nil {
            for candidate in link.candidates where !candidate.address.isLoopback || configuration.includeLoopback {
                transmit(link.pendingBytes, on: .relayed(candidate.address))
            }
        }
    }

    private func permitRelay(for link: Link) {
        guard let allocation else { return }
        let addresses = link.candidates.map(\.address) + [allocation.relayedAddress]
        jobSink.yield { try? await allocation.permit(addresses) }
    }

    // MARK: timers

    private func maintain() {
        guard ready else { return }
        let now = ContinuousClock.now
        for peer in Array(links.keys) {
            guard let link = links[peer] else { continue }
            if link.pending != nil {
                if now - link.pendingStarted > configuration.handshakeTimeout {
                    links[peer]?.pending = nil
                    if link.state != .connected {
                        links[peer]?.state = .disconnected
                        links[peer]?.nextReconnect = now + link.backoff
                        links[peer]?.backoff = min(link.backoff * 2, configuration.reconnectBackoffLimit)
                        emit(P2PPeerFailed(peer: peer, reason: "no answer on \(link.candidates.count) candidate(s) within \(configuration.handshakeTimeout)"))
                    }
                } else if now - link.pendingLastSent >= configuration.punchInterval {
                    sendInitiation(peer: peer)
                }
                continue
            }
            switch link.state {
            case .connecting:
                break
            case .disconnected:
                if let friend = friends[peer], now >= link.nextReconnect {
                    startHandshake(peer: peer, psk: friend.friendKey, inviteID: 0, reason: "reconnect")
                }
            case .connected:
                if now - link.lastReceived > configuration.peerTimeout {
                    links[peer]?.state = .disconnected
                    links[peer]?.active = nil
                    links[peer]?.validatedDirect = []
                    links[peer]?.nextReconnect = now
                    emit(P2PPeerDisconnected(peer: peer, reason: "nothing received for \(configuration.peerTimeout)"))
                    continue
                }
                if let session = link.current, let friend = friends[peer],
                    session.needsRekey(messages: configuration.rekeyAfterMessages, age: configuration.rekeyAfter)
                {
                    startHandshake(peer: peer, psk: friend.friendKey, inviteID: 0, reason: "rekey")
                    continue
                }
                let isDirect: Bool = if case .direct = link.active { true } else { false }
                let interval = now < link.fastProbeUntil ? configuration.punchInterval : configuration.upgradeProbeInterval
                if (!isDirect || now < link.fastProbeUntil) && now - link.lastProbe >= interval {
                    sendProbes(peer: peer)
                }
                if now - link.lastReceived > configuration.keepaliveInterval * 2,
                    now - link.lastRecoverySend >= configuration.punchInterval * 2
                {
                    // The peer went quiet: try every path (relay and each direct address) until one answers.
                    links[peer]?.lastRecoverySend = now
                    sendEverywhere(.keepalive, peer: peer)
                }
                if now - (links[peer]?.lastSent ?? now) >= configuration.keepaliveInterval {
                    _ = sendInner(.keepalive, to: peer)
                }
            }
        }
        answered = answered.filter { $0.value.until > now }
        if rejections != reportedRejections, now - lastRejectionReport >= .seconds(5) {
            reportedRejections = rejections
            lastRejectionReport = now
            emit(P2PPacketsRejected(counts: rejections))
        }
        if let allocation {
            if now - lastPermitRound >= .seconds(60) {
                lastPermitRound = now
                let addresses = links.values.flatMap { $0.candidates.map(\.address) } + [allocation.relayedAddress]
                jobSink.yield { try? await allocation.permit(addresses) }
            }
            if now - lastRefresh >= .seconds(300) {
                lastRefresh = now
                jobSink.yield { try? await allocation.refresh() }
            }
        }
    }

    // MARK: helpers

    private func reject(_ reason: String) { rejections[reason, default: 0] += 1 }

    private func emit<Payload: EventPayload>(_ payload: Payload) {
        if let draft = try? EventDraft(stream: "p2p", payload: payload) { eventSink.yield(draft) }
    }

    private func timestamp() -> UInt64 {
        let now = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        lastTimestamp = max(lastTimestamp + 1, now)
        return lastTimestamp
    }

    private func merge(_ old: [Candidate], _ new: [Candidate]) -> [Candidate] {
        var out = old
        for candidate in new where !out.contains(candidate) { out.append(candidate) }
        return out
    }

    private func addressText(_ path: LinkPath) -> String {
        switch path {
        case .direct(let a), .relayed(let a): a.description
        }
    }

    private func saveFriends() {
        do { try friendStore.save(friends) } catch {
            emit(P2PPeerFailed(peer: peerID, reason: "could not save friends: \(error)"))
        }
    }
}
