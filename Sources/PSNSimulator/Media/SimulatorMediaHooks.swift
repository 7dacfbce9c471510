/// Media attached to a simulator from outside (the `PSNSimulatorMedia` library gives scripted members and bridge
/// peers real WebRTC peers). The simulator itself stays free of media: it only reports what happened and, for
/// rtcBridge offers, asks for an SDP.
///
/// Install it with `PSNSimulator(configuration:logger:mediaHooks:)` (or `PSNSimulator.withRunning(…mediaHooks:…)`).
/// Without hooks the simulator behaves exactly as before.
///
/// Threading contract:
/// - `handle(_:from:)` is called for every `SimulatorMediaEvent`, one at a time and in the order the operations
///   happened, from one task of `PSNSimulator.run()` — never with the simulator's state lock held, so it may call
///   back into the simulator (`perform(actor:action:args:)`). It should return quickly (queue slow media work in
///   tasks of its own): events wait behind it. The last event is `.stopping`; `run()` returns only after that
///   `handle` returns, so a hook can finish its recordings there.
/// - `bridgeOffer(_:)` is awaited by the add-peer (C.3) and re-offer (C.4) routes after the peer exists in the
///   simulator's state and before they respond, again without the lock. Return `nil` to keep the generated C.8
///   offer.
public protocol SimulatorMediaHooks: Sendable {
    /// Something media cares about happened (see the type's threading contract).
    func handle(_ event: SimulatorMediaEvent, from simulator: PSNSimulator) async

    /// The offer SDP the bridge sends to a new (or renegotiating) peer, or `nil` for the generated one.
    func bridgeOffer(_ request: BridgeOfferRequest) async -> String?
}

/// A party member as media sees it.
public struct SimulatorMediaMember: Sendable, Equatable {
    /// 19-digit account id.
    public var accountId: String
    /// Online id.
    public var onlineId: String
    /// REST platform string (`MOBILE_APP`, `PS5`, …).
    public var platform: String
    /// `true` when nothing but the admin API and scripts drives this account: it has no authenticated push socket
    /// and no unexpired access token at the time of the event (a real client signs in and opens push).
    public var scripted: Bool

    /// Creates a member description.
    public init(accountId: String, onlineId: String, platform: String, scripted: Bool) {
        self.accountId = accountId
        self.onlineId = onlineId
        self.platform = platform
        self.scripted = scripted
    }
}

/// What the simulator reports to `SimulatorMediaHooks.handle(_:from:)`.
public enum SimulatorMediaEvent: Sendable, Equatable {
    /// `joiner` joined party `sessionId`, whose members before the join were `existing` (join order).
    case memberJoined(sessionId: String, joiner: SimulatorMediaMember, existing: [SimulatorMediaMember])
    /// `member` left party `sessionId` (or was dropped); `remaining` is empty when the party was deleted with it.
    case memberLeft(sessionId: String, member: SimulatorMediaMember, remaining: [SimulatorMediaMember])
    /// A customMessage passed validation and was delivered to `recipients` (as push to those with sockets).
    case customMessage(sessionId: String, sender: SimulatorMediaMember, recipients: [SimulatorMediaMember],
                       channel: String, payload: String)
    /// A bridge peer's offer was answered (C.5) with `sdp` (as the client sent it).
    case bridgeAnswered(bridgeId: String, peerId: String, sdp: String)
    /// A bridge peer was deleted (C.7).
    case bridgePeerDeleted(bridgeId: String, peerId: String)
    /// A bridge was deleted: by its owner (C.7), or because the owner left the party (G, last note).
    case bridgeDeleted(bridgeId: String)
    /// The simulator is stopping; the last event.
    case stopping
}

/// A bridge peer that needs an offer (C.3 add peer, C.4 re-offer).
public struct BridgeOfferRequest: Sendable, Equatable {
    /// The bridge.
    public var bridgeId: String
    /// The new peer.
    public var peerId: String
    /// The bridge's owner.
    public var ownerAccountId: String
    /// The party the bridge is linked to, if any.
    public var sessionId: String?
    /// `true` for a re-offer (C.4) of an existing peer.
    public var renegotiation: Bool
    /// The offer the simulator generated (C.8 shape, no real transport behind it).
    public var generatedOffer: String

    /// Creates a request.
    public init(bridgeId: String, peerId: String, ownerAccountId: String, sessionId: String?, renegotiation: Bool,
                generatedOffer: String) {
        self.bridgeId = bridgeId
        self.peerId = peerId
        self.ownerAccountId = ownerAccountId
        self.sessionId = sessionId
        self.renegotiation = renegotiation
        self.generatedOffer = generatedOffer
    }
}
