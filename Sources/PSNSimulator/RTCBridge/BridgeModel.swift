/// A point in time on both the monotonic clock and the simulator clock offset, so elapsed times include real time
/// and any `advanceClock` jumps (timing checks of H 14).
struct BridgeInstant: Sendable {
    var monotonic: ContinuousClock.Instant
    var clockOffsetMs: Int64

    /// Milliseconds from `self` to `later`.
    func elapsedMs(until later: BridgeInstant) -> Int64 {
        let real = monotonic.duration(to: later.monotonic).components
        return real.seconds * 1000 + real.attoseconds / 1_000_000_000_000_000 + (later.clockOffsetMs - clockOffsetMs)
    }
}

/// One peer of a bridge (C.3): its per-peer credentials and the state of its current offer.
struct BridgePeer: Sendable {
    var peerId: String
    var credentials: BridgePeerCredentials
    /// `o=` session version of the current offer (2, then +1 per re-offer).
    var offerVersion: Int
    var offerSdp: String
    var offeredAt: BridgeInstant
    /// Whether the current offer has been answered (C.9: one answer per offer).
    var answered = false
}

/// A voice bridge (C.1). REST state only; no media.
struct RTCBridge: Sendable {
    var bridgeId: String
    /// Secret: never logged, never returned except by create.
    var bridgeToken: String
    var ownerAccountId: String
    var createdAt: BridgeInstant
    var creationSequence: Int
    /// Party the bridge is linked to (B.9), if any.
    var linkedSessionId: String?
    /// `bridgeEtag` shown in the party object's `bridges` (B.0), set when linked.
    var linkEtag: String?
    /// Peers in creation order.
    var peers: [BridgePeer] = []
}

/// A deleted bridge that still occupies its owner's slot in a party until `releaseAtMs` (simulator clock;
/// `bridgeReleaseDelaySeconds`, U24).
struct BridgeSlotHold: Sendable {
    var accountId: String
    var sessionId: String
    var releaseAtMs: Int64
}

/// A client flagged by the optional timing checks (H 14).
struct BridgeTimingFlag: Sendable {
    /// `linkTooSoon` (link < `bridgeMinLinkDelayMs` after create) or `answerTooLate` (answer > `bridgeMaxAnswerDelayMs`
    /// after the offer).
    var kind: String
    var accountId: String
    var bridgeId: String
    var peerId: String?
    var elapsedMs: Int64

    var json: JSONValue {
        var o: JSONObject = [
            "kind": .string(kind), "accountId": .string(accountId), "bridgeId": .string(bridgeId),
        ]
        if let peerId { o["peerId"] = .string(peerId) }
        o["elapsedMs"] = .int64(elapsedMs)
        return .object(o)
    }
}

/// All rtcBridge state (lives in `CoreState.rtc`, under the core `Mutex`).
struct RTCBridgeStore: Sendable {
    var bridges: [String: RTCBridge] = [:]
    var holds: [BridgeSlotHold] = []
    var timingFlags: [BridgeTimingFlag] = []
    var creationCounter = 0
}
