import Logging
import PSNSimulator
import Voice

/// One scripted member's media in one party: a running `VoiceGraph` (its source as the mic, the mix recorded), one
/// WebRTC peer per other member it talks to, and the `miranda:12` signalling it sends through the simulator's
/// customMessage path (psn-protocol.md D). Every step runs on `queue`, in the order it was asked for.
actor MemberMedia {
    /// The member.
    let member: SimulatorMediaMember
    /// The party.
    let sessionId: String
    /// Where the party mix is recorded.
    nonisolated let recordingPath: String
    /// Its steps, in order.
    nonisolated let queue = SerialQueue()
    nonisolated let graph: VoiceGraph
    private let settings: PeerSettings
    private let nextSequenceNumber: @Sendable () -> Int
    private let logger: Logger
    /// Peers we sent an offer to and wait for the answer of.
    private var awaitingAnswer: Set<String> = []
    private var finished = false

    /// Builds and starts the member's graph.
    init(member: SimulatorMediaMember, sessionId: String, source: SimulatorMediaOptions.Source, recordingPath: String,
         settings: PeerSettings, nextSequenceNumber: @escaping @Sendable () -> Int, logger: Logger) throws {
        self.member = member
        self.sessionId = sessionId
        self.recordingPath = recordingPath
        self.settings = settings
        self.nextSequenceNumber = nextSequenceNumber
        var logger = logger
        logger[metadataKey: "member"] = .string(member.onlineId)
        logger[metadataKey: "sessionId"] = .string(sessionId)
        self.logger = logger
        graph = try VoiceGraph(spec: MediaGraphs.member(source: source, output: recordingPath))
        GraphEventLog.follow(graph, logger: logger)
        // Starting blocks on a state change: the first step on the queue, off the cooperative pool.
        queue.enqueue { [graph, logger] in
            do { try await graph.start() } catch {
                logger.error("the member's graph would not start", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The peers in the graph.
    nonisolated var peerIds: [String] { graph.peerIds }

    /// Offers to `peer` (D: existing members offer to newcomers): Opus at payload type 96 written as
    /// `opus/16000/2`, sent as a `miranda:12` customMessage to `peer` alone.
    func offer(to peer: SimulatorMediaMember, via simulator: PSNSimulator) async {
        guard !finished else { return }
        if graph.peerIds.contains(peer.accountId) { await graph.removePeer(peer.accountId) }
        do {
            let sdp = try await graph.offer(peer: peer.accountId, payloadType: 96, settings: settings)
            awaitingAnswer.insert(peer.accountId)
            try send(type: "offer", sdp: PSNSessionDescriptions.opus(sdp), to: peer, via: simulator)
            logger.debug("offered", metadata: ["peer": .string(peer.onlineId)])
        } catch {
            logger.warning("offer failed", metadata: ["peer": .string(peer.onlineId), "error": "\(error)"])
            awaitingAnswer.remove(peer.accountId)
            await graph.removePeer(peer.accountId)
        }
    }

    /// A customMessage from `sender` delivered to this member: an answer to our offer is applied, an offer is
    /// answered (replacing an earlier peer of the sender); anything else — another channel, an undecodable
    /// payload, a message for someone else, an SDP without Opus audio, an answer to no offer — is logged and
    /// ignored.
    func receive(from sender: SimulatorMediaMember, channel: String, payload: String, soleRecipient: Bool,
                 via simulator: PSNSimulator) async {
        guard !finished else { return }
        guard channel == "miranda:12" else {
            logger.info("ignored a customMessage on another channel", metadata: ["channel": .string(channel)])
            return
        }
        let message: MirandaMessage
        do { message = try MirandaMessage(envelope: payload) } catch {
            logger.warning("ignored an undecodable miranda payload",
                           metadata: ["from": .string(sender.onlineId), "error": "\(error)"])
            return
        }
        guard message.to.accountId == member.accountId || soleRecipient else { return }
        // Unusable SDP changes nothing (a pending offer stays pending, an existing peer stays).
        let remote: SessionDescription
        do { remote = try SessionDescription(message.sdp) } catch {
            logger.warning("ignored a miranda \(message.type) with an unusable SDP",
                           metadata: ["from": .string(sender.onlineId), "error": "\(error)"])
            return
        }
        switch message.type {
        case "answer":
            guard awaitingAnswer.remove(sender.accountId) != nil else {
                logger.warning("ignored an answer to no offer of ours", metadata: ["from": .string(sender.onlineId)])
                return
            }
            do {
                try await graph.acceptAnswer(peer: sender.accountId, answer: message.sdp)
                logger.debug("answer accepted", metadata: ["peer": .string(sender.onlineId)])
            } catch {
                logger.warning("answer refused", metadata: ["from": .string(sender.onlineId), "error": "\(error)"])
                await graph.removePeer(sender.accountId)
            }
        case "offer":
            awaitingAnswer.remove(sender.accountId)
            if graph.peerIds.contains(sender.accountId) { await graph.removePeer(sender.accountId) }
            do {
                let answer = try await graph.answer(peer: sender.accountId, offer: message.sdp, settings: settings)
                let written = PSNSessionDescriptions.opus(answer, clockRate: remote.opusClockRate)
                try send(type: "answer", sdp: written, to: sender, via: simulator)
                logger.debug("answered", metadata: ["peer": .string(sender.onlineId)])
            } catch {
                logger.warning("could not answer an offer", metadata: ["from": .string(sender.onlineId), "error": "\(error)"])
                await graph.removePeer(sender.accountId)
            }
        default:
            logger.warning("ignored a miranda message", metadata: ["type": .string(message.type)])
        }
    }

    /// `peer` left: only its WebRTC peer goes.
    func drop(peer accountId: String) async {
        awaitingAnswer.remove(accountId)
        await graph.removePeer(accountId)
    }

    /// Ends the recording (end-of-stream through the file writer) and stops the graph. Later calls do nothing.
    func finish() async {
        guard !finished else { return }
        finished = true
        awaitingAnswer.removeAll()
        await graph.finish()
    }

    /// Sends one D.4 message from this member to `peer` through the simulator's customMessage path (D.7 applies).
    private func send(type: String, sdp: String, to peer: SimulatorMediaMember, via simulator: PSNSimulator) throws {
        let message = MirandaMessage(
            type: type, sdp: sdp, from: .init(accountId: member.accountId, restPlatform: member.platform),
            to: .init(accountId: peer.accountId, restPlatform: peer.platform), globalSeqNum: nextSequenceNumber())
        try simulator.perform(actor: member.accountId, action: "customMessage", args: [
            "sessionId": .string(sessionId),
            "channel": .string("miranda:12"),
            "payload": .string(message.envelope),
            "to": .array([.string(peer.accountId)]),
            "withoutSequenceNumber": .bool(true),
        ])
    }
}
