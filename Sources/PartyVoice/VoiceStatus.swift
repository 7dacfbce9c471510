/// What voice is doing, as the control API and `partybus voice status` show it.
public struct VoiceStatus: Sendable, Codable, Equatable {
    /// One peer.
    public struct Peer: Sendable, Codable, Equatable {
        /// Member account id or `bridge`.
        public var peer: String
        /// `offerer` or `answerer`.
        public var role: String
        /// ICE connection state.
        public var state: String
        /// Playback volume.
        public var volume: Double
        /// Speaking now.
        public var speaking: Bool
        /// The peer's slot for a graph with per-peer outputs (`%{slot}`: obs-per-speaker's port is its base + slot).
        public var outputSlot: Int? = nil
    }

    /// The uplink.
    public struct Bridge: Sendable, Codable, Equatable {
        /// Bridge id.
        public var bridgeId: String
        /// Peer id, once added.
        public var peerId: String?
        /// ICE connected.
        public var connected: Bool
    }

    /// Voice is running.
    public var running: Bool
    /// The party.
    public var sessionId: String?
    /// The graph's name.
    public var graph: String?
    /// The mic is muted.
    public var muted: Bool = false
    /// The peers.
    public var peers: [Peer] = []
    /// The uplink.
    public var bridge: Bridge?
}
