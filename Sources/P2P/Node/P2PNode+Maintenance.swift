import Foundation
import PartyBusPluginAPI

/// The timer: handshake retries, reconnects, keepalives, probes, rekeys, relay upkeep; small helpers.
extension P2PNode {
    // MARK: timers

    func maintain() {
        guard ready else { return }
        let now = ContinuousClock.now
        noteStall(now: now)
        for peer in Array(links.keys) {
            guard let link = links[peer] else { continue }
            if link.pending != nil {
                if now - link.pendingStarted > configuration.handshakeTimeout {
                    links[peer]?.pending = nil
                    if link.state != .connected {
                        links[peer]?.state = .disconnected
                        links[peer]?.nextReconnect = now + link.backoff
                        links[peer]?.backoff = min(link.backoff * 2, configuration.reconnectBackoffLimit)
                        emit(P2PPeerFailed(peer: peer, reason: "no answer on \(link.candidates.count) candidate(s) within \(configuration.handshakeTimeout)"))
                    }
                } else if now - link.pendingLastSent >= configuration.punchInterval {
                    sendInitiation(peer: peer)
                }
                continue
            }
            switch link.state {
            case .connecting:
                break
            case .disconnected:
                if let friend = friends[peer], now >= link.nextReconnect {
                    startHandshake(peer: peer, psk: friend.friendKey, inviteID: 0, reason: "reconnect")
                }
            case .connected:
                if now - link.lastReceived > configuration.peerTimeout, now >= livenessGraceUntil {
                    links[peer]?.state = .disconnected
                    links[peer]?.active = nil
                    links[peer]?.validatedDirect = []
                    links[peer]?.nextReconnect = now
                    emit(P2PPeerDisconnected(peer: peer, reason: "nothing received for \(configuration.peerTimeout)"))
                    continue
                }
                if let session = link.current, let friend = friends[peer],
                    session.needsRekey(messages: configuration.rekeyAfterMessages, age: configuration.rekeyAfter)
                {
                    startHandshake(peer: peer, psk: friend.friendKey, inviteID: 0, reason: "rekey")
                    continue
                }
                let isDirect = trulyDirect(link)
                let interval = now < link.fastProbeUntil ? configuration.punchInterval : configuration.upgradeProbeInterval
                if (!isDirect || now < link.fastProbeUntil) && now - link.lastProbe >= interval {
                    sendProbes(peer: peer)
                }
                if now - link.lastReceived > configuration.keepaliveInterval * 2,
                    now - link.lastRecoverySend >= configuration.punchInterval * 2
                {
                    // The peer went quiet: try every path (relay and each direct address) until one answers, and
                    // check whether our own addresses changed (a NAT rebinding, a new local address).
                    links[peer]?.lastRecoverySend = now
                    sendEverywhere(.keepalive, peer: peer)
                    checkNetwork(reason: "link_quiet", minimumGap: configuration.keepaliveInterval * 2)
                }
                if now - (links[peer]?.lastSent ?? now) >= configuration.keepaliveInterval {
                    _ = sendInner(.keepalive, to: peer)
                }
            }
        }
        scheduleSprays(now: now)
        checkHostAddresses(now: now)
        answered = answered.filter { $0.value.until > now }
        if rejections != reportedRejections, now - lastRejectionReport >= .seconds(5) {
            reportedRejections = rejections
            lastRejectionReport = now
            emit(P2PPacketsRejected(counts: rejections))
        }
        if let allocation {
            if now - lastPermitRound >= .seconds(60) {
                lastPermitRound = now
                let addresses = links.values.flatMap { relayTargets($0) } + [allocation.relayedAddress]
                jobSink.yield { try? await allocation.permit(addresses) }
            }
            if now - lastRefresh >= .seconds(300) {
                lastRefresh = now
                jobSink.yield { try? await allocation.refresh() }
            }
        }
    }


    /// When this timer ran late (the actor was blocked, or the process starved of CPU or suspended), the peers'
    /// packets of that time may still wait in the socket's stream, and the timer's turn on the actor can come before
    /// the receive loop's: silence is not proof until the receive loop had a keepalive interval to catch up. Without
    /// this a node coming out of a stall dropped every peer at its first tick (and every peer then dropped it).
    func noteStall(now: ContinuousClock.Instant) {
        let gap = now - lastMaintain
        lastMaintain = now
        if gap > max(configuration.punchInterval * 5, .seconds(1)) {
            livenessGraceUntil = now + configuration.keepaliveInterval
            stalls += 1
        }
    }

    // MARK: helpers

    func reject(_ reason: String) { rejections[reason, default: 0] += 1 }

    func emit<Payload: EventPayload>(_ payload: Payload) {
        if let draft = try? EventDraft(stream: "p2p", payload: payload) { eventSink.yield(draft) }
    }

    func timestamp() -> UInt64 {
        let now = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        lastTimestamp = max(lastTimestamp + 1, now)
        return lastTimestamp
    }

    func merge(_ old: [Candidate], _ new: [Candidate]) -> [Candidate] {
        var out = old
        for candidate in new where !out.contains(candidate) { out.append(candidate) }
        return out
    }

    func addressText(_ path: LinkPath) -> String {
        switch path {
        case .direct(let a), .relayed(let a): a.description
        }
    }

    /// Queues the friends list for the writer (off the actor: a busy disk must not stall packets and timers).
    func saveFriends() {
        friendWriter.save(friends)
    }
}
