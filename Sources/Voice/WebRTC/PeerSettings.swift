/// How one WebRTC peer is built and negotiated.
public struct PeerSettings: Sendable, Equatable {
    /// Send our mic to this peer (needs the graph's `mic` tap).
    public var send: Bool
    /// Play this peer's audio into the graph (needs the graph's per-peer `receive` chain).
    public var receive: Bool
    /// `stun://host:port` for server-reflexive candidates, or nil.
    public var stunServer: String?
    /// Addresses libnice should gather on besides its own choice (it skips 127.0.0.1; loopback-only hosts need it).
    public var localAddresses: [String]
    /// Keep only this many host candidates (and no others) in the SDP we send (rtcBridge: exactly one, C.6).
    public var hostCandidateLimit: Int?
    /// How long to wait for ICE gathering to complete before sending what was gathered.
    public var gatheringTimeout: Duration
    /// Open a data channel before offering, so the offer carries the `m=application` (DTLS/SCTP) section the
    /// PlayStation app's offers have (psn-protocol.md D.4). Answers follow the offer either way.
    public var dataChannel: Bool

    /// Settings; by default two-way, no STUN, gathering up to 2 s.
    public init(
        send: Bool = true, receive: Bool = true, stunServer: String? = nil, localAddresses: [String] = [],
        hostCandidateLimit: Int? = nil, gatheringTimeout: Duration = .seconds(2), dataChannel: Bool = false
    ) {
        self.dataChannel = dataChannel
        self.send = send
        self.receive = receive
        self.stunServer = stunServer
        self.localAddresses = localAddresses
        self.hostCandidateLimit = hostCandidateLimit
        self.gatheringTimeout = gatheringTimeout
    }
}
