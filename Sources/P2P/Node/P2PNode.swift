import Crypto
public import Foundation
import NIOCore
public import PartyBusPluginAPI

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

    let eventSink: AsyncStream<EventDraft>.Continuation
    let messageSink: AsyncStream<ReceivedMessage>.Continuation
    let jobs: AsyncStream<@Sendable () async -> Void>
    let jobSink: AsyncStream<@Sendable () async -> Void>.Continuation
    let socket: UDPSocket
    let identity: IdentityKey
    let configuration: P2PConfiguration
    var hostAddresses: [UDPAddress]
    /// Lists our interface addresses again (nil: host candidates stay those given at start).
    let hostAddressSource: HostAddressSource?
    var hostCheckRunning = false
    var lastHostCheck = ContinuousClock.now
    let transactions = StunTransactions()
    let stun: StunClient
    let friendStore: FriendStore
    let friendWriter: FriendStoreWriter

    var allocation: TurnAllocation?
    var relayError: String?
    var candidates: [Candidate] = []
    var natMapping: NATMapping = .unknown
    var natFiltering: NATFiltering = .unknown
    /// Filtering probes reaching our socket go here, to the test waiting for them (P2PNode+Filtering).
    let filteringInbox = FilteringProbeInbox()
    struct Invite {
        let secret: [UInt8]
        let expires: Date
        var used: Bool
    }
    var invites: [UInt32: Invite] = [:]
    var usedTokens: Set<[UInt8]> = []
    var friends: [String: Friend] = [:]
    var links: [String: Link] = [:]
    var indexToPeer: [UInt32: String] = [:]
    var answered: [[UInt8]: (response: [UInt8], until: ContinuousClock.Instant)] = [:]
    var rejections: [String: Int] = [:]
    var reportedRejections: [String: Int] = [:]
    var lastRejectionReport = ContinuousClock.now
    var lastPermitRound = ContinuousClock.now
    var lastRefresh = ContinuousClock.now
    var networkCheckRunning = false
    var sprayLoopRunning = false
    var lastNetworkCheck = ContinuousClock.now
    var ready = false
    var readyWaiters: [CheckedContinuation<Void, Never>] = []
    var lastTimestamp: UInt64 = 0
    /// When the timer last ran, and until when silence does not drop a peer after it ran late (`noteStall`).
    var lastMaintain = ContinuousClock.now
    var livenessGraceUntil = ContinuousClock.now
    /// How many times the timer ran late.
    var stalls = 0

    /// Makes a node on a bound socket. `hostAddresses` are our interface addresses (host candidates);
    /// `dataFolder` holds the friends file (nil: friends live in memory only); `hostAddressSource`, when given, is
    /// asked again every `hostAddressCheckInterval` so host candidates follow a host that moves.
    public init(socket: UDPSocket, identity: IdentityKey, hostAddresses: [UDPAddress], configuration: P2PConfiguration,
                dataFolder: URL?, hostAddressSource: HostAddressSource? = nil) throws
    {
        self.socket = socket
        self.identity = identity
        self.configuration = configuration
        self.hostAddresses = hostAddresses
        self.hostAddressSource = hostAddressSource
        self.peerID = PeerID.of(identity.publicKey)
        (events, eventSink) = AsyncStream.makeStream(of: EventDraft.self, bufferingPolicy: .bufferingOldest(10_000))
        (messages, messageSink) = AsyncStream.makeStream(of: ReceivedMessage.self, bufferingPolicy: .bufferingOldest(10_000))
        (jobs, jobSink) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        stun = StunClient(sender: socket, transactions: transactions, retransmission: configuration.retransmission)
        friendStore = FriendStore(file: dataFolder?.appendingPathComponent("p2p-friends.json"))
        friends = try friendStore.load()
        let sink = eventSink, me = peerID
        friendWriter = FriendStoreWriter(store: friendStore) { message in
            let failure = P2PPeerFailed(peer: me, reason: "could not save friends: \(message)")
            if let draft = try? EventDraft(stream: "p2p", payload: failure) { sink.yield(draft) }
        }
    }

    /// Binds a socket on `host:port` and finds the host's interface addresses.
    public static func bind(host: String = "0.0.0.0", port: Int = 0, includeLoopback: Bool) async throws -> (UDPSocket, [UDPAddress]) {
        let socket = try await UDPSocket.bind(host: host, port: port)
        let bound = socket.localAddress
        let addresses = bound.ip.allSatisfy({ $0 == 0 }) ? interfaceAddresses(like: bound, includeLoopback: includeLoopback) : [bound]
        return (socket, addresses)
    }

    /// This process's interface addresses of `bound`'s family, with its port (host candidates of a socket bound to
    /// the wildcard address). `getifaddrs`: a quick netlink query, no waiting.
    public static func interfaceAddresses(like bound: UDPAddress, includeLoopback: Bool) -> [UDPAddress] {
        var addresses: [UDPAddress] = []
        for device in (try? System.enumerateDevices()) ?? [] {
            guard let address = device.address, let udp = UDPAddress(address), udp.isIPv4 == bound.isIPv4 else { continue }
            if udp.isLoopback && !includeLoopback { continue }
            if let withPort = UDPAddress(ip: udp.ip, port: bound.port), !addresses.contains(withPort) { addresses.append(withPort) }
        }
        return addresses
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
        await friendWriter.flush()
        eventSink.finish()
        messageSink.finish()
    }

    /// Returns once the friends file holds every change made so far (it is written off the actor).
    public func waitUntilFriendsSaved() async {
        await friendWriter.flush()
    }

    /// Waits until candidates are gathered.
    public func waitUntilReady() async {
        if ready { return }
        await withCheckedContinuation { readyWaiters.append($0) }
    }

    func gather() async {
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
        natFiltering = await testFiltering(allocation: allocation, mapped: allocation?.mappedAddress,
                                           reflexive: gathered.filter { $0.kind == .serverReflexive }.map(\.address))
        emit(P2PNodeStarted(peer: peerID, candidates: gathered.map(\.description), natMapping: natMapping.rawValue,
                            natFiltering: natFiltering.rawValue, relay: allocation?.relayedAddress.description))
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
}
