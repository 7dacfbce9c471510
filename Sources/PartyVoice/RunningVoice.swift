import PSN
import Voice

/// The state of voice while it runs for one party (only touched on the `PartyVoice` actor).
final class RunningVoice {
    /// How a peer came to be.
    enum Role: String {
        /// We offered; `answered` says whether their answer came.
        case offerer
        /// They offered, we answered.
        case answerer
    }

    /// One member's (or the bridge's) peer.
    struct Peer {
        /// Which negotiation this is: work that resumes after an await checks it is still the current one.
        var generation: UInt64
        var role: Role
        var answered: Bool
        var addedAt: ContinuousClock.Instant
        var ice = "new"
        /// Decoded audio from this peer reached the mix.
        var heard = false
    }

    /// The uplink (C): ids are never reused after a delete or an error.
    struct Bridge {
        var bridge: RTCBridgeClient.Bridge
        var linked = false
        var peerId: String?
        var connected = false
    }

    let sessionId: String
    let me: String
    let graph: VoiceGraph
    let startedAt = ContinuousClock.now
    var peers: [String: Peer] = [:]
    private var generations: UInt64 = 0
    var fallbacks: [String: Task<Void, Never>] = [:]
    /// Who speaks now (peers and `me`), as the speaking detectors last said.
    var speaking: Set<String> = []
    var volumes: [String: Double] = [:]
    /// Members renegotiated once because ICE came up but no audio followed (never more than once each).
    var silentRetries: Set<String> = []
    /// Members whose peer failed once (offer unanswered, ICE failed) and got one fresh offer.
    var failedOnce: Set<String> = []
    /// Members whose peer failed twice: no more offers until they rejoin or offer to us.
    var gaveUp: Set<String> = []
    var muted = false
    var bridge: Bridge?
    var bridgeTask: Task<Void, Never>?
    var eventsTask: Task<Void, Never>?

    init(sessionId: String, me: String, graph: VoiceGraph) {
        self.sessionId = sessionId
        self.me = me
        self.graph = graph
    }

    /// A new peer entry (with a fresh generation).
    func newPeer(_ role: Role, answered: Bool, at time: ContinuousClock.Instant = .now) -> Peer {
        generations += 1
        return Peer(generation: generations, role: role, answered: answered, addedAt: time)
    }

    /// The member changed (left, rejoined, offered to us): failures so far no longer count.
    func forgetFailures(of peer: String) {
        failedOnce.remove(peer)
        gaveUp.remove(peer)
    }

    /// Whether `peer` is still in the negotiation `generation` (not replaced or removed meanwhile).
    func isCurrent(_ peer: String, _ generation: UInt64) -> Bool { peers[peer]?.generation == generation }

    /// Meter element → peer, as found: matching a meter against every peer's element suffix each time made the cost
    /// of a member grow with the party (measured: `bench voice`, when meters still reported ten times a second).
    private var meterOwners: [String: String] = [:]

    /// The peer a `meter_<suffix>` element belongs to.
    func peerForMeter(_ element: String) -> String? {
        if let owner = meterOwners[element], peers[owner] != nil { return owner }
        guard element.hasPrefix("meter_") else { return nil }
        let suffix = element.dropFirst("meter_".count)
        guard let owner = peers.keys.first(where: { VoiceGraph.elementSuffix($0) == suffix }) else { return nil }
        meterOwners[element] = owner
        return owner
    }
}
