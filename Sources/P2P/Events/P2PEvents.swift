public import PartyBusPluginAPI

/// `p2p.node_started`: the node is listening and knows its candidates (never a key or secret).
public struct P2PNodeStarted: EventPayload, Equatable {
    public static let eventType = "p2p.node_started"
    /// Our peer id (base32 of the public key: public, not secret).
    public let peer: String
    /// Our candidates, e.g. `srflx 203.0.113.7:4000`.
    public let candidates: [String]
    /// The NAT mapping behaviour the probe found.
    public let natMapping: String
    /// The NAT filtering behaviour the relay test found (`endpoint-independent`, `endpoint-dependent`, `unknown`).
    public let natFiltering: String
    /// The TURN relayed address, when a relay is configured and allocated.
    public let relay: String?
}

/// `p2p.nat_filtering_tested`: the relay sent a probe to our own server-reflexive address; whether it reached us
/// says how our NAT filters (docs/p2p.md "NAT filtering").
public struct P2PNATFilteringTested: EventPayload, Equatable {
    public static let eventType = "p2p.nat_filtering_tested"
    /// `endpoint-independent` (it arrived), `endpoint-dependent` (it did not) or `unknown` (not tested).
    public let natFiltering: String
    /// Our address the probe was sent to (our mapping toward the TURN server), when tested.
    public let target: String?
    /// The relayed address it came from, when tested.
    public let relay: String?
    /// From the CreatePermission to the verdict.
    public let milliseconds: Int
    /// Why, in words.
    public let detail: String
}

/// `p2p.nat_probed`: each STUN server's answer and what they imply.
public struct P2PNATProbed: EventPayload, Equatable {
    public static let eventType = "p2p.nat_probed"
    /// One server's answer.
    public struct Answer: Codable, Sendable, Equatable {
        public let server: String
        public let mapped: String?
        public let error: String?
    }
    public let answers: [Answer]
    public let natMapping: String
}

/// `p2p.token_created`: an invitation was made (its id and expiry; never the token text or secret).
public struct P2PTokenCreated: EventPayload, Equatable {
    public static let eventType = "p2p.token_created"
    public let inviteID: String
    public let expiresAt: String
    public let candidates: [String]
}

/// `p2p.token_rejected`: a token or an initiation naming an invite was refused.
public struct P2PTokenRejected: EventPayload, Equatable {
    public static let eventType = "p2p.token_rejected"
    /// `expired`, `invite_used`, `unknown_invite`, `invite_expired`, `malformed`.
    public let reason: String
    public let detail: String
}

/// `p2p.peer_connecting`: a handshake started.
public struct P2PPeerConnecting: EventPayload, Equatable {
    public static let eventType = "p2p.peer_connecting"
    public let peer: String
    /// `invite`, `friend`, `reconnect` or `rekey`.
    public let reason: String
    public let candidates: [String]
}

/// `p2p.peer_connected`: the handshake completed.
public struct P2PPeerConnected: EventPayload, Equatable {
    public static let eventType = "p2p.peer_connected"
    public let peer: String
    /// `direct` or `relayed`.
    public let path: String
    public let address: String
    /// `invite` or `friend`.
    public let via: String
    /// From the first initiation to the answer (initiator only; 0 for the responder).
    public let handshakeMilliseconds: Int
}

/// `p2p.path_changed`: the link moved to another path (relayed → direct is an upgrade; a new address is roaming).
public struct P2PPathChanged: EventPayload, Equatable {
    public static let eventType = "p2p.path_changed"
    public let peer: String
    public let from: String
    public let to: String
}

/// `p2p.peer_disconnected`: nothing came from the peer for too long, or it was forgotten.
public struct P2PPeerDisconnected: EventPayload, Equatable {
    public static let eventType = "p2p.peer_disconnected"
    public let peer: String
    public let reason: String
}

/// `p2p.peer_failed`: a handshake got no answer on any path.
public struct P2PPeerFailed: EventPayload, Equatable {
    public static let eventType = "p2p.peer_failed"
    public let peer: String
    public let reason: String
}

/// `p2p.rekeyed`: a new handshake replaced a link's keys.
public struct P2PRekeyed: EventPayload, Equatable {
    public static let eventType = "p2p.rekeyed"
    public let peer: String
}

/// `p2p.friend_forgotten`: a friend (and its link) was removed.
public struct P2PFriendForgotten: EventPayload, Equatable {
    public static let eventType = "p2p.friend_forgotten"
    public let peer: String
}

/// `p2p.packets_rejected`: counts of refused packets since the node started, by reason (at most every 5 s).
public struct P2PPacketsRejected: EventPayload, Equatable {
    public static let eventType = "p2p.packets_rejected"
    public let counts: [String: Int]
}


/// `p2p.send_failed`: a plugin's `p2p.send_requested` could not be sent (unknown or unconnected peer, bad topic).
public struct P2PSendFailed: EventPayload, Equatable {
    public static let eventType = "p2p.send_failed"
    public let peer: String?
    public let topic: String
    public let reason: String
    /// The seq of the `p2p.send_requested` event.
    public let requestSeq: UInt64

    /// Makes a payload.
    public init(peer: String?, topic: String, reason: String, requestSeq: UInt64) {
        self.peer = peer
        self.topic = topic
        self.reason = reason
        self.requestSeq = requestSeq
    }
}

/// `p2p.candidates_changed`: a network check found new server-reflexive or relay candidates (a NAT rebinding, a new
/// local address, a new relay allocation); friends get them in a new handshake.
public struct P2PCandidatesChanged: EventPayload, Equatable {
    public static let eventType = "p2p.candidates_changed"
    /// Our candidates now.
    public let candidates: [String]
    /// The NAT mapping the last probe found.
    public let natMapping: String
    /// The NAT filtering the last relay test found.
    public let natFiltering: String
    /// Our relayed address, if any.
    public let relay: String?
    /// What started the check (`link_quiet`, `host_addresses`).
    public let reason: String

    public init(candidates: [String], natMapping: String, natFiltering: String, relay: String?, reason: String) {
        self.candidates = candidates
        self.natMapping = natMapping
        self.natFiltering = natFiltering
        self.relay = relay
        self.reason = reason
    }
}

/// `p2p.spray_started`: we (endpoint-independent NAT) probe every port of a symmetric-NAT peer's public IP, paced,
/// until one reaches the port its NAT opened toward us (docs/p2p.md "Hard NATs").
public struct P2PSprayStarted: EventPayload, Equatable {
    public static let eventType = "p2p.spray_started"
    public let peer: String
    /// The peer's public IPs sprayed.
    public let addresses: [String]
    /// The port range swept, e.g. `1024-65535`.
    public let ports: String
    /// 1 for the first round on this link, then counting.
    public let round: Int
    /// The pace: at most `batchSize` probes every `batchIntervalMilliseconds`.
    public let batchSize: Int
    public let batchIntervalMilliseconds: Int
}

/// `p2p.spray_finished`: a spray round ended.
public struct P2PSprayFinished: EventPayload, Equatable {
    public static let eventType = "p2p.spray_finished"
    public let peer: String
    /// `direct` (the peer answered: the link went direct), `exhausted` (every port tried; another round later),
    /// `stopped` (the link went direct another way or no longer needs it) or `disconnected`.
    public let outcome: String
    /// Probes sent in this round.
    public let probes: Int
    public let round: Int
    /// From the round's start to its end.
    public let milliseconds: Int
    /// The direct address found (outcome `direct`).
    public let address: String?
}
