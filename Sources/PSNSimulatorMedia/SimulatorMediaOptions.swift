import Foundation

/// How `SimulatorMedia` runs: where recordings go, which accounts get a WebRTC peer, what each one sends.
public struct SimulatorMediaOptions: Sendable, Equatable {
    /// Which party members get media.
    public enum Members: Sendable, Equatable {
        /// Every scripted member: an account with no push socket and no live access token (driven only by the admin
        /// API and scripts; see `SimulatorMediaMember.scripted`).
        case scripted
        /// Only these accounts (account ids or online ids), whether or not a client signs them in.
        case accounts(Set<String>)
    }

    /// What a member sends as its microphone.
    public enum Source: Sendable, Equatable {
        /// A live sine tone at this frequency (Hz).
        case tone(Double)
        /// An audio file GStreamer can decode (`filesrc ! decodebin`), played once in real time.
        case file(String)
    }

    /// Folder for `<sessionId>-<onlineId>.wav` (members) and `bridge-<bridgeId>.wav` (bridges); created on demand.
    public var recordDirectory: String
    /// Addresses ICE gathers on besides libnice's own choice (it skips loopback). Default `["127.0.0.1"]`.
    public var localAddresses: [String]
    /// Which members get media. Default `.scripted`.
    public var members: Members
    /// Per-account sources, keyed by account id or online id.
    public var sources: [String: Source]
    /// Tones for the rest, in the order of `SimulatorConfiguration.accounts` (accounts added later continue the
    /// cycle). Default 440, 550, 770, 880, 990 Hz.
    public var defaultTones: [Double]
    /// Give rtcBridge peers a real recvonly webrtcbin that records the uplink (C.3). Default `true`.
    public var bridges: Bool
    /// How long a peer waits for ICE gathering before sending its SDP. Default 2 s.
    public var gatheringTimeout: Duration
    /// Whether members with media also talk to each other (a full mesh, as in a real party). Off, they talk only to
    /// members without media (the clients under test), so N members cost the client N peers and the simulator N
    /// peers instead of N² (`partybus bench voice`). Default `true`.
    public var meshBetweenMembers: Bool

    /// Options with every default and recordings in `recordDirectory`.
    public init(recordDirectory: String, localAddresses: [String] = ["127.0.0.1"], members: Members = .scripted,
                sources: [String: Source] = [:], defaultTones: [Double] = [440, 550, 770, 880, 990],
                bridges: Bool = true, gatheringTimeout: Duration = .seconds(2), meshBetweenMembers: Bool = true) {
        self.recordDirectory = recordDirectory
        self.localAddresses = localAddresses
        self.members = members
        self.sources = sources
        self.defaultTones = defaultTones
        self.bridges = bridges
        self.gatheringTimeout = gatheringTimeout
        self.meshBetweenMembers = meshBetweenMembers
    }
}
