/// One peer's link: handshake state, sessions, known paths and timers (owned by the node actor).
struct Link {
    enum State: String {
        case connecting, connected, disconnected
    }

    let peerKey: [UInt8]
    var peer: String { PeerID.of(peerKey) }
    var state: State = .connecting
    /// Candidates the peer told us (token or handshake), plus peer-reflexive addresses seen.
    var candidates: [Candidate] = []
    /// The session in use and the one it replaced (kept for packets in flight during a rekey).
    var current: TransportSession?
    var previous: TransportSession?
    /// A handshake we started and its bytes, resent on every path until answered.
    var pending: InitiatorHandshake?
    var pendingBytes: [UInt8] = []
    var pendingReason = "invite"
    var pendingStarted: ContinuousClock.Instant = .now
    var pendingLastSent: ContinuousClock.Instant = .now - .seconds(3600)
    /// The path packets go out on.
    var active: LinkPath?
    /// Direct paths that answered a probe or sent us an authenticated packet.
    var validatedDirect: Set<UDPAddress> = []
    var lastReceived: ContinuousClock.Instant = .now
    var lastDirectReceived: ContinuousClock.Instant = .now
    var lastRecoverySend: ContinuousClock.Instant = .now - .seconds(3600)
    var lastSent: ContinuousClock.Instant = .now
    var lastProbe: ContinuousClock.Instant = .now - .seconds(3600)
    var connectedAt: ContinuousClock.Instant = .now
    /// Fast probing lasts a few seconds after connecting, then slows to the upgrade pace.
    var fastProbeUntil: ContinuousClock.Instant = .now
    var nextReconnect: ContinuousClock.Instant = .now
    var backoff: Duration = .seconds(1)
    var lastInitiationTimestamp: UInt64 = 0
    var via = "invite"
    /// The peer's NAT mapping (token, then every handshake): decides the hard-NAT spray (P2PNode+Spray).
    var peerMapping: NATMapping = .unknown
    /// The peer's NAT filtering (token, then every handshake): endpoint-independent lets our probes go at the
    /// normal TTL at once (`PunchPolicy`).
    var peerFiltering: NATFiltering = .unknown
    /// The easy side's spray toward a hard-NAT peer, while one runs or waits for its next round.
    var spray: HardNATSpray?
    var messagesSent = 0
    var messagesReceived = 0

    init(peerKey: [UInt8]) { self.peerKey = peerKey }
}

/// A link as the API shows it.
public struct PeerStatus: Sendable, Codable, Hashable {
    /// The peer id.
    public let peer: String
    /// `connecting`, `connected` or `disconnected`.
    public let state: String
    /// `direct`, `relayed` or nil.
    public let path: String?
    /// The address packets go to.
    public let address: String?
    /// Whether the peer is a saved friend.
    public let friend: Bool
    /// Messages sent and received on the link.
    public let messagesSent: Int
    public let messagesReceived: Int
}
