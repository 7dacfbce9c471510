public import Foundation
public import Voice

/// How party voice runs: the graph file and its variables, ICE settings, the rtcBridge uplink and its pacing.
public struct PartyVoiceOptions: Sendable {
    /// The graph file (`pipelines/party-voice.yaml` by default).
    public var graphFile: URL
    /// `${…}` variables for the graph (the `voice:` config section).
    public var variables: [String: String]
    /// Member peers: ICE addresses, STUN server, gathering timeout.
    public var peer: PeerSettings
    /// Open the rtcBridge uplink (C) besides member-to-member audio.
    public var bridge: Bool
    /// Waits of C.9: before linking the bridge and before adding the peer.
    public var bridgeLinkDelay: Duration
    /// See `bridgeLinkDelay`.
    public var bridgePeerDelay: Duration
    /// How long to wait for an offer from a member who joined before us before offering ourselves.
    public var offerFallbackDelay: Duration
    /// Check the graph file for edits this often (0 = never).
    public var reloadInterval: Duration
    /// A member whose ICE is up but whose audio has not arrived after this long is renegotiated once (0 = never).
    public var silentPeerTimeout: Duration

    /// Options with the protocol's pacing.
    public init(
        graphFile: URL, variables: [String: String] = [:], peer: PeerSettings = .init(), bridge: Bool = true,
        bridgeLinkDelay: Duration = .milliseconds(600), bridgePeerDelay: Duration = .milliseconds(500),
        offerFallbackDelay: Duration = .seconds(3), reloadInterval: Duration = .seconds(1),
        silentPeerTimeout: Duration = .seconds(4)
    ) {
        self.silentPeerTimeout = silentPeerTimeout
        self.graphFile = graphFile
        self.variables = variables
        self.peer = peer
        self.bridge = bridge
        self.bridgeLinkDelay = bridgeLinkDelay
        self.bridgePeerDelay = bridgePeerDelay
        self.offerFallbackDelay = offerFallbackDelay
        self.reloadInterval = reloadInterval
    }
}
