import Foundation
import PSN
import PartyBusCore
import Voice

/// Member-to-member signalling over `miranda:12` (psn-protocol.md D, G step 14).
extension PartyVoice {
    /// A customMessage on the miranda channel arrived for us.
    func signal(_ message: PartyCustomMessage) async {
        let sessionId = message.sessionId
        let decoded: MirandaMessage
        do {
            decoded = try MirandaMessage(payload: message.payload)
        } catch {
            await record(VoiceSignalRejected(sessionId: sessionId, from: message.fromAccountId, reason: "\(error)"), sessionId)
            return
        }
        let from = decoded.from.accountId
        if let sender = message.fromAccountId, sender != from {
            await record(VoiceSignalRejected(
                sessionId: sessionId, from: sender, reason: "miranda sender \(from) differs from the push sender \(sender)"), sessionId)
            return
        }
        guard let member = await member(from, of: sessionId) else {
            await record(VoiceSignalRejected(
                sessionId: sessionId, from: from, reason: "\(decoded.kind.rawValue) from \(from), who is not a member of the party"), sessionId)
            return
        }
        guard let state = running, state.sessionId == sessionId else {
            if decoded.kind == .offer { pendingOffers[sessionId, default: [:]][from] = decoded }
            return
        }
        guard decoded.to.accountId == state.me || decoded.to.accountId.isEmpty else { return }
        switch decoded.kind {
        case .offer:
            if let existing = state.peers[from], existing.role == .offerer, !existing.answered, wins(state.me, over: member, in: sessionId) {
                await record(VoiceSignalRejected(
                    sessionId: sessionId, from: from, reason: "glare: both offered; ours stands (earlier member offers)"), sessionId)
                return
            }
            await answer(decoded, from: member, state: state)
        case .answer:
            guard let peer = state.peers[from], peer.role == .offerer, !peer.answered else {
                await record(VoiceSignalRejected(sessionId: sessionId, from: from, reason: "an answer we did not ask for"), sessionId)
                return
            }
            do {
                try await state.graph.acceptAnswer(peer: from, answer: decoded.sdp)
                // Only `answered` changes: ICE states handled during the await (checking, failed) must stay; writing
                // back the copy taken before it lost them, and with them a failed ICE (seen in the ICE failure test).
                if state.isCurrent(from, peer.generation) { state.peers[from]?.answered = true }
            } catch {
                await record(VoiceSignalRejected(sessionId: sessionId, from: from, reason: "answer refused: \(error)"), sessionId)
                await removePeer(from, sessionId: sessionId, reason: "bad answer")
            }
        }
    }

    /// Whether we (`me`) win glare against `member`: the earlier member (lower joinOrder, then lower account id).
    func wins(_ me: String, over member: PartyMember, in sessionId: String) -> Bool {
        let mine = parties.current.parties[sessionId]?.members[me]?.joinOrder ?? Int.max
        let theirs = member.joinOrder ?? Int.max
        if mine != theirs { return mine < theirs }
        return (UInt64(me) ?? 0) < (UInt64(member.accountId) ?? 0)
    }

    /// Answers an offer: a fresh peer (an existing one is replaced — renegotiation), the answer sent back. The actor
    /// is free while webrtcbin gathers; if the peer is replaced meanwhile, this negotiation quietly gives way.
    func answer(_ offer: MirandaMessage, from member: PartyMember, state: RunningVoice) async {
        let peer = member.accountId
        state.fallbacks.removeValue(forKey: peer)?.cancel()
        // They offered to us: earlier failures with them no longer count.
        state.forgetFailures(of: peer)
        if state.peers[peer] != nil { await removePeer(peer, sessionId: state.sessionId, reason: "renegotiation") }
        let entry = state.newPeer(.answerer, answered: true)
        state.peers[peer] = entry
        await record(VoicePeerAdded(sessionId: state.sessionId, peer: peer, role: "answerer"), state.sessionId)
        do {
            let sdp = try await state.graph.answer(peer: peer, offer: offer.sdp, settings: options.peer)
            guard state.isCurrent(peer, entry.generation) else { return }
            try await send(.answer, sdp: sdp, to: member, state: state)
        } catch {
            guard state.isCurrent(peer, entry.generation) else { return }
            state.peers[peer] = nil
            await state.graph.removePeer(peer)
            await record(VoiceSignalRejected(sessionId: state.sessionId, from: peer, reason: "offer not answered: \(error)"), state.sessionId)
        }
    }

    /// Offers to a member, in the app's shape (D.4; docs/voice.md "Our offers"): Opus at payload type 96 written
    /// `opus/16000/2` with the app's fmtp and ptime, a data channel's `m=application` section, mids `0` and `1`. If
    /// the peer is replaced while webrtcbin gathers (their crossing offer won), this offer is dropped unsent.
    func offer(to member: PartyMember, state: RunningVoice) async {
        let peer = member.accountId
        guard running === state, state.peers[peer] == nil else { return }
        let entry = state.newPeer(.offerer, answered: false)
        state.peers[peer] = entry
        await record(VoicePeerAdded(sessionId: state.sessionId, peer: peer, role: "offerer"), state.sessionId)
        do {
            var settings = options.peer
            settings.dataChannel = true
            let sdp = AppShapedSDP.offer(try await state.graph.offer(peer: peer, payloadType: 96, settings: settings))
            guard state.isCurrent(peer, entry.generation) else { return }
            try await send(.offer, sdp: sdp, to: member, state: state)
            watchForAnswer(peer, generation: entry.generation, state: state)
        } catch {
            guard state.isCurrent(peer, entry.generation) else { return }
            state.peers[peer] = nil
            await state.graph.removePeer(peer)
            await record(VoiceFailure(sessionId: state.sessionId, message: "offer to \(peer) failed: \(error)"), state.sessionId)
        }
    }

    /// A member who joined before us should offer; if no offer comes in time, we offer.
    func scheduleFallbackOffer(to member: PartyMember, state: RunningVoice) {
        let delay = options.offerFallbackDelay
        let sessionId = state.sessionId
        state.fallbacks[member.accountId] = Task { [weak self] in
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            await self?.fallbackOffer(to: member, sessionId: sessionId)
        }
    }

    func fallbackOffer(to member: PartyMember, sessionId: String) async {
        guard let state = running, state.sessionId == sessionId, state.peers[member.accountId] == nil,
            !state.gaveUp.contains(member.accountId), parties.current.parties[sessionId]?.members[member.accountId] != nil
        else { return }
        state.fallbacks[member.accountId] = nil
        await offer(to: member, state: state)
    }

    /// Tears down one member's peer; the others keep playing.
    func removePeer(_ peer: String, sessionId: String, reason: String) async {
        guard let state = running, state.sessionId == sessionId else { return }
        state.fallbacks.removeValue(forKey: peer)?.cancel()
        guard state.peers.removeValue(forKey: peer) != nil else { return }
        state.speaking.remove(peer)
        await state.graph.removePeer(peer)
        await record(VoicePeerRemoved(sessionId: sessionId, peer: peer, reason: reason), sessionId)
    }

    /// Sends an offer or answer to one member through customMessage (B.10) in a miranda:12 payload (D.6).
    func send(_ kind: MirandaMessage.Kind, sdp: String, to member: PartyMember, state: RunningVoice) async throws {
        sequence += 1
        let platform = member.platform ?? "MOBILE_APP"
        // Our platform as the party shows us (a PartyBus client is a MOBILE_APP member).
        let mine = parties.current.parties[state.sessionId]?.members[state.me]?.platform ?? "MOBILE_APP"
        let message = MirandaMessage(
            kind: kind, from: .init(accountId: state.me, platform: MirandaMessage.platformCode(mine) ?? 100_001),
            to: .init(accountId: member.accountId, platform: MirandaMessage.platformCode(platform) ?? 100_001),
            globalSequenceNumber: sequence, sdp: sdp)
        try await client.parties.sendCustomMessage(
            state.sessionId, payload: try message.payload(), to: [(accountId: member.accountId, platform: platform)])
    }
}
