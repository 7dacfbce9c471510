public import Foundation
public import PartyBusCore
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
    /// An offer of ours not answered within this long is withdrawn (`voice.peer_failed`) and made once more.
    public var offerTimeout: Duration
    /// An element error inside a member's peer is reported only if the peer is still there this much later (a
    /// member leaving makes its peer's elements fail on the way out; that is not an error).
    public var peerErrorGrace: Duration
    /// Where the graphs' taps feed (plugins open taps there); nil: no taps.
    public var taps: VoiceTapHub?

    /// Options with the protocol's pacing.
    public init(
        graphFile: URL, variables: [String: String] = [:], peer: PeerSettings = .init(),
        offerTimeout: Duration = .seconds(10), bridge: Bool = true,
        bridgeLinkDelay: Duration = .milliseconds(600), bridgePeerDelay: Duration = .milliseconds(500),
        offerFallbackDelay: Duration = .seconds(3), reloadInterval: Duration = .seconds(1),
        silentPeerTimeout: Duration = .seconds(4), peerErrorGrace: Duration = .seconds(2)
    ) {
        self.offerTimeout = offerTimeout
        self.peerErrorGrace = peerErrorGrace
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

extension PartyVoiceOptions {
    /// `voice.offerTimeoutSeconds` from config: a positive number of seconds (at most an hour), else 10 s.
    public static func offerTimeout(fromConfig value: JSONValue?) -> Duration {
        let seconds: Double? = switch value {
        case .int(let number)?: Double(number)
        case .double(let number)?: number
        case .string(let text)?: Double(text)
        default: nil
        }
        guard let seconds, seconds.isFinite, seconds > 0, seconds <= 3600 else { return .seconds(10) }
        return .milliseconds(Int64(seconds * 1000))
    }
}
