import Logging
import PSNSimulator
import Voice

/// One rtcBridge's media: a graph with no mic in which every bridge peer is a recvonly webrtcbin (C.3, C.8) whose
/// uplink goes into the mix recorded to `bridge-<bridgeId>.wav`. Steps run on `queue` in order.
actor BridgeMedia {
    /// The bridge.
    let bridgeId: String
    /// Where the uplink is recorded.
    nonisolated let recordingPath: String
    /// Its steps, in order.
    nonisolated let queue = SerialQueue()
    nonisolated let graph: VoiceGraph
    private let settings: PeerSettings
    private let logger: Logger
    private var finished = false

    /// Builds and starts the bridge's graph.
    init(bridgeId: String, recordingPath: String, localAddresses: [String], gatheringTimeout: Duration,
         logger: Logger) throws {
        self.bridgeId = bridgeId
        self.recordingPath = recordingPath
        settings = PeerSettings(send: false, receive: true, localAddresses: localAddresses,
                                gatheringTimeout: gatheringTimeout)
        var logger = logger
        logger[metadataKey: "bridgeId"] = .string(bridgeId)
        self.logger = logger
        graph = try VoiceGraph(spec: MediaGraphs.bridge(output: recordingPath))
        GraphEventLog.follow(graph, logger: logger)
        // Starting blocks on a state change: the first step on the queue, off the cooperative pool.
        queue.enqueue { [graph, logger] in
            do { try await graph.start() } catch {
                logger.error("the bridge's graph would not start", metadata: ["error": "\(error)"])
            }
        }
    }

    /// A real recvonly offer for `peerId` in the C.8 shape (a re-offer rebuilds the peer), or `nil` on failure.
    func offer(peer peerId: String) async -> String? {
        guard !finished else { return nil }
        if graph.peerIds.contains(peerId) { await graph.removePeer(peerId) }
        do {
            let sdp = try await graph.offer(peer: peerId, payloadType: 111, settings: settings)
            return PSNSessionDescriptions.bridgeOffer(sdp)
        } catch {
            logger.warning("bridge offer failed", metadata: ["peerId": .string(peerId), "error": "\(error)"])
            return nil
        }
    }

    /// The client's answer (C.5); Opus at 16000 is read at 48000 by the Voice engine.
    func accept(peer peerId: String, answer: String) async {
        guard !finished else { return }
        do {
            try await graph.acceptAnswer(peer: peerId, answer: answer)
        } catch {
            logger.warning("bridge answer refused", metadata: ["peerId": .string(peerId), "error": "\(error)"])
        }
    }

    /// The peer was deleted (C.7).
    func drop(peer peerId: String) async {
        await graph.removePeer(peerId)
    }

    /// Ends the recording and stops the graph. Later calls do nothing.
    func finish() async {
        guard !finished else { return }
        finished = true
        await graph.finish()
    }
}
