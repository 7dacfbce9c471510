// Typed payloads of the `voice.*` events (docs/events.md "Voice", docs/voice.md), in the plugin API so that any
// plugin — built in, a `.so`, or a test — decodes them the way the voice module writes them:
// `try event.decode(VoiceSpeaking.self)`.

/// `voice.started`: voice is running for a party with a graph.
public struct VoiceStarted: EventPayload, Equatable {
    public static let eventType = "voice.started"
    /// The party.
    public var sessionId: String
    /// The graph's name and file.
    public var graph: String
    /// The file it came from.
    public var file: String
    /// Makes the payload.
    public init(sessionId: String, graph: String, file: String) {
        self.sessionId = sessionId
        self.graph = graph
        self.file = file
    }
}

/// `voice.stopped`: voice stopped (asked to, the party was left or deleted, shutdown, or a graph reload).
public struct VoiceStopped: EventPayload, Equatable {
    public static let eventType = "voice.stopped"
    /// The party.
    public var sessionId: String
    /// Why.
    public var reason: String
    /// Makes the payload.
    public init(sessionId: String, reason: String) {
        self.sessionId = sessionId
        self.reason = reason
    }
}

/// `voice.peer_added`: a WebRTC peer for a member (or the bridge) was built and is negotiating.
public struct VoicePeerAdded: EventPayload, Equatable {
    public static let eventType = "voice.peer_added"
    /// The party.
    public var sessionId: String
    /// The member's account id, or `bridge`.
    public var peer: String
    /// `offerer` or `answerer` (our side).
    public var role: String
    /// Makes the payload.
    public init(sessionId: String, peer: String, role: String) {
        self.sessionId = sessionId
        self.peer = peer
        self.role = role
    }
}

/// `voice.peer_state`: a peer's ICE connection state changed.
public struct VoicePeerState: EventPayload, Equatable {
    public static let eventType = "voice.peer_state"
    /// The party.
    public var sessionId: String
    /// The member's account id, or `bridge`.
    public var peer: String
    /// `checking`, `connected`, `completed`, `failed`, `disconnected`, `closed`.
    public var state: String
    /// Makes the payload.
    public init(sessionId: String, peer: String, state: String) {
        self.sessionId = sessionId
        self.peer = peer
        self.state = state
    }
}

/// `voice.first_audio`: the first decoded audio from a member reached the mix.
public struct VoiceFirstAudio: EventPayload, Equatable {
    public static let eventType = "voice.first_audio"
    /// The party.
    public var sessionId: String
    /// The member.
    public var peer: String
    /// Milliseconds since the peer was added.
    public var afterPeerMs: Int64
    /// Milliseconds since voice started.
    public var afterStartMs: Int64
    /// Makes the payload.
    public init(sessionId: String, peer: String, afterPeerMs: Int64, afterStartMs: Int64) {
        self.sessionId = sessionId
        self.peer = peer
        self.afterPeerMs = afterPeerMs
        self.afterStartMs = afterStartMs
    }
}

/// `voice.peer_removed`: a peer was torn down (member left, renegotiation, stop); the others keep playing.
public struct VoicePeerRemoved: EventPayload, Equatable {
    public static let eventType = "voice.peer_removed"
    /// The party.
    public var sessionId: String
    /// The member's account id, or `bridge`.
    public var peer: String
    /// Why.
    public var reason: String
    /// Makes the payload.
    public init(sessionId: String, peer: String, reason: String) {
        self.sessionId = sessionId
        self.peer = peer
        self.reason = reason
    }
}

/// `voice.peer_failed`: a member's peer was given up on — our offer was not answered in time, or ICE failed. It is
/// withdrawn; one fresh offer follows, and after a second failure nothing until the member rejoins or offers to us.
public struct VoicePeerFailed: EventPayload, Equatable {
    public static let eventType = "voice.peer_failed"
    /// The party.
    public var sessionId: String
    /// The member's account id.
    public var peer: String
    /// What failed (`offer not answered within 10 s`, `ICE failed`).
    public var reason: String
    /// Whether a fresh offer follows (false: we wait until the member rejoins or offers to us).
    public var retrying: Bool
    /// Makes the payload.
    public init(sessionId: String, peer: String, reason: String, retrying: Bool) {
        self.sessionId = sessionId
        self.peer = peer
        self.reason = reason
        self.retrying = retrying
    }
}

/// `voice.signal_rejected`: a signalling message or SDP we could not use (garbage payload, malformed SDP, offer
/// from a non-member, unexpected answer). Voice keeps running.
public struct VoiceSignalRejected: EventPayload, Equatable {
    public static let eventType = "voice.signal_rejected"
    /// The party.
    public var sessionId: String
    /// The sender, when known.
    public var from: String?
    /// What is wrong.
    public var reason: String
    /// Makes the payload.
    public init(sessionId: String, from: String? = nil, reason: String) {
        self.sessionId = sessionId
        self.from = from
        self.reason = reason
    }
}

/// `voice.bridge_connected`: the rtcBridge uplink answered (C.3–C.5).
public struct VoiceBridgeConnected: EventPayload, Equatable {
    public static let eventType = "voice.bridge_connected"
    /// The party.
    public var sessionId: String
    /// The bridge id.
    public var bridgeId: String
    /// The peer id.
    public var peerId: String
    /// Milliseconds from receiving the offer to sending the answer (C.9: within about one second).
    public var answerMs: Int64
    /// Makes the payload.
    public init(sessionId: String, bridgeId: String, peerId: String, answerMs: Int64) {
        self.sessionId = sessionId
        self.bridgeId = bridgeId
        self.peerId = peerId
        self.answerMs = answerMs
    }
}

/// `voice.bridge_failed`: a step of the uplink failed; the bridge is deleted and not reused.
public struct VoiceBridgeFailed: EventPayload, Equatable {
    public static let eventType = "voice.bridge_failed"
    /// The party.
    public var sessionId: String
    /// The step (`create`, `link`, `addPeer`, `answer`).
    public var step: String
    /// The error.
    public var error: String
    /// Makes the payload.
    public init(sessionId: String, step: String, error: String) {
        self.sessionId = sessionId
        self.step = step
        self.error = error
    }
}

/// `voice.mute_changed`: the mic was muted or unmuted.
public struct VoiceMuteChanged: EventPayload, Equatable {
    public static let eventType = "voice.mute_changed"
    /// The party.
    public var sessionId: String
    /// Muted now.
    public var muted: Bool
    /// Makes the payload.
    public init(sessionId: String, muted: Bool) {
        self.sessionId = sessionId
        self.muted = muted
    }
}

/// `voice.volume_changed`: a member's playback volume changed (1.0 = as received, 0 = silent).
public struct VoiceVolumeChanged: EventPayload, Equatable {
    public static let eventType = "voice.volume_changed"
    /// The party.
    public var sessionId: String
    /// The member.
    public var peer: String
    /// The new volume.
    public var volume: Double
    /// Makes the payload.
    public init(sessionId: String, peer: String, volume: Double) {
        self.sessionId = sessionId
        self.peer = peer
        self.volume = volume
    }
}

/// `voice.speaking`: a member (or `me`) started or stopped speaking (level with hysteresis, rate-limited).
public struct VoiceSpeaking: EventPayload, Equatable {
    public static let eventType = "voice.speaking"
    /// The party.
    public var sessionId: String
    /// The member's account id, or `me`.
    public var peer: String
    /// Speaking now.
    public var speaking: Bool
    /// The level that decided it, in dB.
    public var levelDb: Double
    /// Makes the payload.
    public init(sessionId: String, peer: String, speaking: Bool, levelDb: Double) {
        self.sessionId = sessionId
        self.peer = peer
        self.speaking = speaking
        self.levelDb = levelDb
    }
}

/// `voice.graph_changed`: the graph file changed; a good edit is now running, a broken one is refused
/// (the running graph stays) with every problem as `file:line:col: message`.
public struct VoiceGraphChanged: EventPayload, Equatable {
    public static let eventType = "voice.graph_changed"
    /// The file.
    public var file: String
    /// Whether the edit was taken.
    public var accepted: Bool
    /// The problems of a refused edit.
    public var problems: [String]
    /// Makes the payload.
    public init(file: String, accepted: Bool, problems: [String]) {
        self.file = file
        self.accepted = accepted
        self.problems = problems
    }
}

/// `voice.error`: voice could not do something (graph would not start, a device could not open, an element error).
public struct VoiceFailure: EventPayload, Equatable {
    public static let eventType = "voice.error"
    /// The party, when there is one.
    public var sessionId: String?
    /// What failed.
    public var message: String
    /// Makes the payload.
    public init(sessionId: String? = nil, message: String) {
        self.sessionId = sessionId
        self.message = message
    }
}

/// `voice.degraded`: part of the graph runs without its device — an audio output or input that is not there (no
/// sound server, no sound card: `autoaudiosink` fell back to `fakesink`), an optional node that could not open, or
/// a device that failed while playing. Voice keeps running; `fallback` says what plays instead.
public struct VoiceDegraded: EventPayload, Equatable {
    public static let eventType = "voice.degraded"
    /// The party.
    public var sessionId: String
    /// The graph node (`out`, `mic`, `local` …).
    public var node: String
    /// The element the graph asked for.
    public var element: String
    /// What is missing.
    public var reason: String
    /// What runs instead: `fakesink` (audio discarded), `silence`, `identity` or `nothing`.
    public var fallback: String
    /// Makes the payload.
    public init(sessionId: String, node: String, element: String, reason: String, fallback: String) {
        self.sessionId = sessionId
        self.node = node
        self.element = element
        self.reason = reason
        self.fallback = fallback
    }
}
