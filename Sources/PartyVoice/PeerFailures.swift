import Foundation
import PSN
import PartyBusCore
import Voice

/// Peers that fail (docs/voice.md, "When a peer fails"): an offer of ours nobody answers and ICE that fails are
/// withdrawn with `voice.peer_failed`, followed by one fresh offer; after a second failure nothing happens until the
/// member changes (rejoins or offers to us). Errors of a member's peer that is going away are not `voice.error`s.
extension PartyVoice {
    /// Our offer to `peer` went out: if no answer comes within `offerTimeout`, the peer has failed.
    func watchForAnswer(_ peer: String, generation: UInt64, state: RunningVoice) {
        let timeout = options.offerTimeout
        guard timeout > .zero else { return }
        let sessionId = state.sessionId
        Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.offerUnanswered(peer, generation: generation, sessionId: sessionId)
        }
    }

    func offerUnanswered(_ peer: String, generation: UInt64, sessionId: String) async {
        guard let state = running, state.sessionId == sessionId, state.isCurrent(peer, generation),
            let entry = state.peers[peer], entry.role == .offerer, !entry.answered
        else { return }
        await peerFailed(peer, state: state, reason: "offer not answered within \(Self.seconds(options.offerTimeout))")
    }

    /// A member's ICE reached `failed`. Only for a peer that got as far as checking: a stale `failed` of a bin already
    /// replaced must not take down its fresh successor.
    func iceFailed(_ peer: String, previous: String, state: RunningVoice) async {
        guard peer != "bridge", previous != "new", state.peers[peer] != nil else { return }
        await peerFailed(peer, state: state, reason: "ICE failed")
    }

    /// Withdraws the member's peer and offers once more, or gives up until the member changes. The verdict is
    /// written down before the first suspension: a re-read of the party handled meanwhile (the actor is reentrant)
    /// must already see it, or it would offer again.
    func peerFailed(_ peer: String, state: RunningVoice, reason: String) async {
        let retrying = !state.failedOnce.contains(peer)
        if retrying { state.failedOnce.insert(peer) } else { state.gaveUp.insert(peer) }
        await record(VoicePeerFailed(sessionId: state.sessionId, peer: peer, reason: reason, retrying: retrying), state.sessionId)
        await removePeer(peer, sessionId: state.sessionId, reason: reason)
        guard retrying, running === state, let member = parties.current.parties[state.sessionId]?.members[peer] else { return }
        // A reconcile that ran meanwhile may have offered already; `offer` then leaves that one be.
        await offer(to: member, state: state)
    }

    /// An element of `peer`'s bin reported an error. A member who leaves takes its side down first, and our elements
    /// for it then fail to write (`sctpenc: Could not write to resource` …): the error counts only if the same peer is
    /// still there after `peerErrorGrace`.
    func peerError(_ peer: String, element: String, message: String, state: RunningVoice) {
        guard let generation = state.peers[peer]?.generation else {
            logger.info("voice: \(element) of departed peer \(peer): \(message)")
            return
        }
        let grace = options.peerErrorGrace
        let sessionId = state.sessionId
        Task { [weak self] in
            try? await Task.sleep(for: grace)
            await self?.reportPeerError(peer, generation: generation, element: element, message: message, sessionId: sessionId)
        }
    }

    func reportPeerError(_ peer: String, generation: UInt64, element: String, message: String, sessionId: String) async {
        guard let state = running, state.sessionId == sessionId, state.isCurrent(peer, generation) else {
            logger.info("voice: \(element) of departed peer \(peer): \(message)")
            return
        }
        await record(VoiceFailure(sessionId: sessionId, message: "\(element) (peer \(peer)): \(message)"), sessionId)
    }

    static func seconds(_ duration: Duration) -> String {
        let ms = ms(duration)
        return ms % 1000 == 0 ? "\(ms / 1000) s" : String(format: "%.1f s", Double(ms) / 1000)
    }
}
