import Foundation
import PSN
import PartyBusCore
import Voice

/// The rtcBridge uplink (psn-protocol.md C, G steps 10–13 and 17): create → link → add peer → answer, paced as C.9
/// says; delete peer then bridge on stop; ids never reused.
extension PartyVoice {
    /// Starts the uplink in the background.
    func startBridge(_ state: RunningVoice) {
        let sessionId = state.sessionId
        state.bridgeTask = Task { [weak self] in await self?.openBridge(sessionId: sessionId) }
    }

    private func openBridge(sessionId: String) async {
        let bridges = client.bridges
        var step = "create"
        do {
            let bridge = try await bridges.createBridge()
            guard let state = running, state.sessionId == sessionId, !Task.isCancelled else {
                try? await bridges.deleteBridge(bridge)
                return
            }
            state.bridge = .init(bridge: bridge)
            try await Task.sleep(for: options.bridgeLinkDelay)
            step = "link"
            try await client.parties.linkBridge(sessionId, bridgeId: bridge.bridgeId, bridgeToken: bridge.bridgeToken)
            state.bridge?.linked = true
            try await Task.sleep(for: options.bridgePeerDelay)
            step = "addPeer"
            let peer = try await bridges.addPeer(bridge)
            state.bridge?.peerId = peer.peerId
            let offered = ContinuousClock.now
            step = "answer"
            guard running === state else { throw CancellationError() }
            state.peers["bridge"] = state.newPeer(.answerer, answered: true, at: offered)
            var settings = options.peer
            settings.receive = false
            settings.hostCandidateLimit = 1
            settings.gatheringTimeout = min(settings.gatheringTimeout, .milliseconds(700))
            let sdp = try await state.graph.answer(peer: "bridge", offer: peer.offer, settings: settings)
            try await bridges.answer(bridge, peerId: peer.peerId, sdp: sdp)
            await record(
                VoiceBridgeConnected(
                    sessionId: sessionId, bridgeId: bridge.bridgeId, peerId: peer.peerId, answerMs: Self.ms(.now - offered)),
                sessionId)
        } catch is CancellationError {
            return
        } catch {
            await record(VoiceBridgeFailed(sessionId: sessionId, step: step, error: "\(error)"), sessionId)
            if let state = running, state.sessionId == sessionId {
                state.peers["bridge"] = nil
                await state.graph.removePeer("bridge")
                await deleteBridge(state)
            }
        }
    }

    /// Deletes the bridge peer, then the bridge (C.7); forgets both either way. Bounded (5 s): at shutdown the server
    /// may already be gone, and stopping must not wait for network retries.
    func deleteBridge(_ state: RunningVoice) async {
        guard let current = state.bridge else { return }
        state.bridge = nil
        let bridges = client.bridges
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                if let peerId = current.peerId {
                    do { try await bridges.deletePeer(current.bridge, peerId: peerId) } catch {
                        logger.warning("voice: deleting bridge peer failed: \(error)")
                    }
                }
                do { try await bridges.deleteBridge(current.bridge) } catch {
                    logger.warning("voice: deleting bridge failed: \(error)")
                }
            }
            group.addTask { try? await Task.sleep(for: .seconds(5)) }
            await group.next()
            group.cancelAll()
        }
    }
}
