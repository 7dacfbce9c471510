import Foundation

/// How a P2P node runs. Keys (config `p2p.*`): `listen` (host:port, default `0.0.0.0:0`), `stunServers`
/// ([host:port], default none), `turn` (`address`, `username`, `password`), timing below.
public struct P2PConfiguration: Sendable {
    /// STUN servers for the server-reflexive address and the NAT probe (two or more for the probe).
    public var stunServers: [UDPAddress] = []
    /// A TURN relay for when punching cannot work (symmetric NATs), and as the rendezvous for the handshake.
    public var turn: TurnServer?
    /// STUN/TURN request retransmissions (RFC default).
    public var retransmission: StunRetransmission = .rfcDefault
    /// Pace of handshake retries and punch probes.
    public var punchInterval: Duration = .milliseconds(200)
    /// How long one connection attempt (handshake) keeps retrying before `p2p.peer_failed`.
    public var handshakeTimeout: Duration = .seconds(10)
    /// After connecting, probe direct paths this often while the link is relayed (the upgrade).
    public var upgradeProbeInterval: Duration = .seconds(2)
    /// Send a keepalive when nothing was sent for this long (under 25 s keeps NAT bindings open).
    public var keepaliveInterval: Duration = .seconds(15)
    /// A link with nothing received for this long is down and reconnects.
    public var peerTimeout: Duration = .seconds(40)
    /// Longest wait between reconnect attempts (backoff doubles from `punchInterval`·5).
    public var reconnectBackoffLimit: Duration = .seconds(30)
    /// Rekey after this many messages sent …
    public var rekeyAfterMessages: UInt64 = 1 << 20
    /// … or this long.
    public var rekeyAfter: Duration = .seconds(120)
    /// Default token lifetime.
    public var tokenLifetime: Duration = PartyToken.defaultLifetime
    /// IP TTL of punching "openers": the first probes after a handshake, and direct initiations when a relay carries
    /// the handshake. 2 passes the home NAT and dies before the peer's (nil: never lower the TTL).
    public var openerTTL: Int? = 2
    /// How long after a handshake probes are openers.
    public var openerPhase: Duration = .milliseconds(400)
    /// How often the node lists its interface addresses again (with a `HostAddressSource`): host candidates follow
    /// a host that moves, and friends hear of it in a `network_change` handshake.
    public var hostAddressCheckInterval: Duration = .seconds(10)
    /// Also offer loopback addresses as host candidates (tests on one machine).
    public var includeLoopback = false
    /// The easy side's probe spray toward a symmetric-NAT peer.
    public var spray = HardNATSprayConfiguration()

    /// Defaults.
    public init() {}
}

/// The hard-NAT spray (docs/p2p.md "Hard NATs"): the easy side's probes to a symmetric-NAT peer's ports.
public struct HardNATSprayConfiguration: Sendable {
    /// Whether an endpoint-independent node sprays toward an endpoint-dependent peer while their link is relayed.
    public var enabled = true
    /// Probes a batch, over every spraying link together (the rate limit: `batchSize` per `batchInterval`).
    public var batchSize = 100
    /// Pause between batches.
    public var batchInterval: Duration = .milliseconds(20)
    /// The peer NAT's port range to sweep (Linux and most routers map into 1024…65535).
    public var ports: ClosedRange<Int> = PortSweep.defaultRange
    /// After a full sweep without an answer, the next round starts this much later (the link stays relayed).
    public var retryAfter: Duration = .seconds(30)
    /// Start this long after the link connected: the peer's first probes open its NAT toward us first.
    public var startDelay: Duration = .milliseconds(200)

    /// Defaults.
    public init() {}
}
