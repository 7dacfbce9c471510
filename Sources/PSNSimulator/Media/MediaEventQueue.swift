/// The ordered path from state operations to `SimulatorMediaHooks`: operations yield events into one stream while
/// they hold the state lock (so the stream has operation order), and one task of `PSNSimulator.run()` hands them to
/// the hooks outside the lock.
struct MediaEventQueue: Sendable {
    let events: AsyncStream<SimulatorMediaEvent>
    let continuation: AsyncStream<SimulatorMediaEvent>.Continuation

    init() {
        (events, continuation) = AsyncStream.makeStream(of: SimulatorMediaEvent.self)
    }
}

extension CoreState {
    /// Queues a media event (only when hooks are installed; the event is not even built otherwise).
    func reportMedia(_ event: @autoclosure () -> SimulatorMediaEvent) {
        guard let mediaEvents else { return }
        mediaEvents.yield(event())
    }

    /// `true` when nothing but the admin API and scripts drives `accountId`: no authenticated push socket and no
    /// unexpired access token.
    func isScripted(_ accountId: String) -> Bool {
        let now = nowMs
        return authenticatedSocketCount(accountId) == 0
            && !accessTokens.values.contains { $0.accountId == accountId && $0.expiresAtMs > now }
    }

    /// A party member as media sees it.
    func mediaMember(_ member: PartyMember) -> SimulatorMediaMember {
        SimulatorMediaMember(accountId: member.accountId, onlineId: member.onlineId, platform: member.platform,
                             scripted: isScripted(member.accountId))
    }
}

extension SimulatorCore {
    /// Hands every queued media event to `hooks` in order, then `.stopping` once the queue is closed.
    func deliverMediaEvents(to hooks: any SimulatorMediaHooks, simulator: PSNSimulator) async {
        guard let queue = mediaQueue else { return }
        for await event in queue.events {
            await hooks.handle(event, from: simulator)
        }
        await hooks.handle(.stopping, from: simulator)
    }

    /// Closes the media queue: `deliverMediaEvents` delivers what is left, then `.stopping`.
    func closeMediaEvents() {
        mediaQueue?.continuation.finish()
    }

    /// Asks the hooks for a bridge peer's offer (C.3 / C.4) and stores it as the peer's current offer. `nil` without
    /// hooks, when the hooks keep the generated offer, or when the peer went away meanwhile.
    func mediaBridgeOffer(bridgeId: String, peerId: String, renegotiation: Bool) async -> String? {
        guard let hooks = mediaHooks else { return nil }
        let request = withState { (s: inout CoreState) -> BridgeOfferRequest? in
            guard let bridge = s.rtc.bridges[bridgeId], let peer = bridge.peers.first(where: { $0.peerId == peerId })
            else { return nil }
            return BridgeOfferRequest(
                bridgeId: bridgeId, peerId: peerId, ownerAccountId: bridge.ownerAccountId,
                sessionId: bridge.linkedSessionId, renegotiation: renegotiation, generatedOffer: peer.offerSdp)
        }
        guard let request, let sdp = await hooks.bridgeOffer(request) else { return nil }
        return withState { (s: inout CoreState) -> String? in
            guard let index = s.rtc.bridges[bridgeId]?.peers.firstIndex(where: { $0.peerId == peerId }) else {
                return nil
            }
            s.rtc.bridges[bridgeId]?.peers[index].offerSdp = sdp
            return sdp
        }
    }
}
