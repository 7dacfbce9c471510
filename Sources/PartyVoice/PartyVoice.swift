import Foundation
public import Logging
public import PSN
public import PartyBusCore
public import Voice

/// Party voice: one running graph for the party we talk in, one WebRTC peer per other member (signalled with
/// `miranda:12` through customMessage and push), the rtcBridge uplink, controls, and `voice.*` events.
///
/// It reacts to the event log (party.custom_message, member joins and leaves, our own leave) like every other part
/// of the engine. Negotiation rules (docs/voice.md): existing members offer to newcomers; an earlier member's offer
/// wins glare; a new offer from a connected member replaces its peer (renegotiation).
public actor PartyVoice {
    let client: PSNClient
    let log: EventLog
    let parties: LiveProjection<PartyProjection>
    let options: PartyVoiceOptions
    let source: EventSource
    let logger: Logger
    let autoStart: Bool

    var running: RunningVoice?
    /// Offers that arrived while voice was off, latest per sender, per party.
    var pendingOffers: [String: [String: MirandaMessage]] = [:]
    /// Re-reads of a party in flight because a stranger signalled (`member(_:of:)`), and when each party was last
    /// re-read for that.
    var memberRereads: [String: Task<Void, Never>] = [:]
    var lastMemberReread: [String: ContinuousClock.Instant] = [:]
    /// Our `global_seq_num` counter (D.4).
    var sequence = 0
    var graphModified: Date?

    /// Voice over a PSN client and the engine's log; `autoStart` starts it whenever we create or join a party.
    public init(
        client: PSNClient, log: EventLog, parties: LiveProjection<PartyProjection>, options: PartyVoiceOptions,
        autoStart: Bool, source: EventSource = .live, logger: Logger
    ) {
        self.client = client
        self.log = log
        self.parties = parties
        self.options = options
        self.autoStart = autoStart
        self.source = source
        self.logger = logger
    }

    /// Follows the log from `from` (default: the next event appended) and the graph file until cancelled; stops
    /// voice on the way out.
    public func run(from: UInt64? = nil) async throws {
        let first = from ?? log.head + 1
        graphModified = Self.modified(options.graphFile)
        let watcher = Task { [weak self, options] in
            guard options.reloadInterval > .zero else { return }
            while !Task.isCancelled {
                try? await Task.sleep(for: options.reloadInterval)
                await self?.checkGraphFile()
            }
        }
        defer { watcher.cancel() }
        do {
            for try await event in log.subscribe(from: first) {
                await parties.waitUntilFolded(event.seq)
                if Task.isCancelled { break }
                await handle(event)
            }
        } catch {
            await shutdown()
            throw error
        }
        await shutdown()
    }

    /// Stops voice from a task of its own: the caller is being cancelled, and the bridge must still be deleted
    /// (C.9 rule 5) and files finished.
    private func shutdown() async {
        await Task { await self.stop(reason: "shutdown") }.value
    }

    func handle(_ event: Event) async {
        switch event.type {
        case PartyCustomMessage.eventType:
            guard let message = try? event.decode(PartyCustomMessage.self), message.channel == "miranda:12" else { return }
            await signal(message)
        case PartyMemberJoined.eventType, PartySnapshot.eventType:
            if event.type == PartyMemberJoined.eventType, running == nil, autoStart,
                let joined = try? event.decode(PartyMemberJoined.self)
            {
                await joinedElsewhere(joined)
                return
            }
            // Existing members offer to newcomers; a re-read of the party may show members we have no peer for.
            guard let state = running, event.stream == "party/\(state.sessionId)" else { return }
            await reconcile(state)
        case PartyMemberLeft.eventType:
            guard let left = try? event.decode(PartyMemberLeft.self) else { return }
            pendingOffers[left.sessionId]?[left.accountId] = nil
            if running?.sessionId == left.sessionId { running?.forgetFailures(of: left.accountId) }
            await removePeer(left.accountId, sessionId: left.sessionId, reason: "member left")
        case PartyLeft.eventType, PartyDeleted.eventType:
            guard let sessionId = try? event.decode(SessionRef.self).sessionId else { return }
            pendingOffers[sessionId] = nil
            forgetMemberRereads(sessionId)
            if running?.sessionId == sessionId { await stop(reason: event.type == PartyLeft.eventType ? "left the party" : "party deleted") }
        case PartyJoined.eventType, PartyCreated.eventType:
            guard autoStart, let sessionId = try? event.decode(SessionRef.self).sessionId else { return }
            do { try await start(sessionId: sessionId) } catch { await record(VoiceFailure(sessionId: sessionId, message: "\(error)"), sessionId) }
        default:
            return
        }
    }

    private struct SessionRef: Decodable { var sessionId: String }

    /// Our own account appeared in a party (push `members:created`) while voice is off: we joined from a console
    /// or a phone. Read the party (push names only the newcomer) and start voice in it.
    private func joinedElsewhere(_ joined: PartyMemberJoined) async {
        guard let me = try? await client.tokens.accountId(), joined.member.accountId == me else { return }
        do {
            _ = try await client.parties.get([joined.sessionId])
            await parties.waitUntilFolded(log.head)
            try await start(sessionId: joined.sessionId)
        } catch {
            await record(VoiceFailure(sessionId: joined.sessionId, message: "\(error)"), joined.sessionId)
        }
    }

    // MARK: Start and stop

    /// Starts voice for a party we are in: builds the graph from the file, answers offers already received, offers
    /// to members who joined after us, and opens the rtcBridge uplink. Stops voice for another party first.
    public func start(sessionId: String) async throws {
        if running?.sessionId == sessionId { return }
        if running != nil { await stop(reason: "switching to another party") }
        guard parties.current.parties[sessionId] != nil else {
            throw VoiceError("not in party \(sessionId) (join it first)")
        }
        guard let me = try await client.tokens.accountId() else { throw VoiceError("not signed in") }
        let variables = options.variables.merging(GraphVariables.builtIn(sessionId: sessionId)) { $1 }
        let spec = try GraphFile.load(options.graphFile.path, variables: variables)
        let devices = await DeviceCheck.run(spec)
        let graph = try VoiceGraph(spec: devices.spec, deviceNodes: devices.deviceNodes, taps: options.taps, sessionId: sessionId)
        try await graph.start()
        let state = RunningVoice(sessionId: sessionId, me: me, graph: graph)
        running = state
        state.eventsTask = Task { [weak self] in
            for await event in graph.events { await self?.graphEvent(event, sessionId: sessionId) }
        }
        await record(VoiceStarted(sessionId: sessionId, graph: spec.name, file: options.graphFile.path), sessionId)
        for degradation in devices.degradations { await degraded(degradation, sessionId: sessionId) }
        if options.bridge { startBridge(state) }
        await reconcile(state)
    }

    /// Brings the peers in line with the party as the projection shows it now: every other member gets a peer —
    /// answered if their offer is waiting, offered if they joined after us, else a fallback offer if theirs does
    /// not come. Members who already have a peer or a pending fallback are left alone. Runs at start and whenever
    /// the party's membership is (re)read.
    func reconcile(_ state: RunningVoice) async {
        guard running === state, let party = parties.current.parties[state.sessionId] else { return }
        let myOrder = party.members[state.me]?.joinOrder ?? Int.max
        for member in party.members.values.sorted(by: { ($0.joinOrder ?? 0) < ($1.joinOrder ?? 0) })
        where member.accountId != state.me && state.peers[member.accountId] == nil && state.fallbacks[member.accountId] == nil
            && !state.gaveUp.contains(member.accountId)
        {
            if let offer = pendingOffers[state.sessionId]?.removeValue(forKey: member.accountId) {
                await answer(offer, from: member, state: state)
            } else if (member.joinOrder ?? 0) > myOrder {
                await offer(to: member, state: state)
            } else {
                scheduleFallbackOffer(to: member, state: state)
            }
        }
    }

    /// Stops voice: bridge peer and bridge deleted (C.7), every peer torn down, the graph finished.
    public func stop(reason: String) async {
        guard let state = running else { return }
        running = nil
        state.fallbacks.values.forEach { $0.cancel() }
        state.bridgeTask?.cancel()
        await deleteBridge(state)
        await state.graph.finish(timeout: .seconds(3))
        state.eventsTask?.cancel()
        await record(VoiceStopped(sessionId: state.sessionId, reason: reason), state.sessionId)
    }

    /// Restarts voice with the edited graph file, or refuses the edit and keeps the running graph.
    func checkGraphFile() async {
        let modified = Self.modified(options.graphFile)
        guard modified != graphModified else { return }
        graphModified = modified
        let (spec, problems) = GraphFile.check(options.graphFile.path, variables: options.variables)
        guard spec != nil, problems.isEmpty else {
            await record(VoiceGraphChanged(file: options.graphFile.path, accepted: false, problems: problems.map(\.description)), running?.sessionId ?? "graph")
            return
        }
        guard let state = running else {
            await record(VoiceGraphChanged(file: options.graphFile.path, accepted: true, problems: []), "graph")
            return
        }
        let sessionId = state.sessionId
        await stop(reason: "graph file changed")
        do {
            try await start(sessionId: sessionId)
            await record(VoiceGraphChanged(file: options.graphFile.path, accepted: true, problems: []), sessionId)
            // The others still hold peers for us: offer to everyone at once (they replace their peer).
            if let state = running, let party = parties.current.parties[sessionId] {
                for member in party.members.values where member.accountId != state.me && state.peers[member.accountId] == nil {
                    state.fallbacks.removeValue(forKey: member.accountId)?.cancel()
                    await offer(to: member, state: state)
                }
            }
        } catch {
            await record(VoiceFailure(sessionId: sessionId, message: "restart after graph change failed: \(error)"), sessionId)
        }
    }

    static func modified(_ file: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: file.path))?[.modificationDate] as? Date
    }

    // MARK: Controls

    /// Mutes or unmutes the mic (the graph's `mute` volume element).
    public func setMuted(_ muted: Bool) async throws {
        guard let state = running else { throw VoiceError("voice is not running") }
        do {
            try state.graph.set(element: "mute", property: "mute", to: muted ? "true" : "false")
        } catch {
            throw VoiceError("graph '\(state.graph.spec.name)' has no volume element named 'mute' in its mic chain (docs/pipelines.md)")
        }
        state.muted = muted
        await record(VoiceMuteChanged(sessionId: state.sessionId, muted: muted), state.sessionId)
    }

    /// Sets a member's playback volume (0 … 10; 1 = as received).
    public func setVolume(_ volume: Double, of peer: String) async throws {
        guard let state = running else { throw VoiceError("voice is not running") }
        guard (0...10).contains(volume) else { throw VoiceError("volume \(volume) is outside 0…10") }
        guard let element = state.graph.volumeElement(of: peer) else { throw VoiceError("no member '\(peer)' is connected") }
        try state.graph.set(element: element, property: "volume", to: String(volume))
        state.volumes[peer] = volume
        await record(VoiceVolumeChanged(sessionId: state.sessionId, peer: peer, volume: volume), state.sessionId)
    }

    /// The running graph (benchmarks attach probes to it).
    public var graph: VoiceGraph? { running?.graph }

    /// Inbound RTP statistics of every peer while voice runs (for `/metrics`); empty when voice is off.
    public func rtpStatistics() async -> [PeerRTPStatistics] {
        guard let graph = running?.graph else { return [] }
        return await graph.rtpStatistics()
    }

    /// What voice is doing now.
    public func status() -> VoiceStatus {
        guard let state = running else { return VoiceStatus(running: false) }
        let slots = state.graph.outputSlots
        return VoiceStatus(
            running: true, sessionId: state.sessionId, graph: state.graph.spec.name, muted: state.muted,
            peers: state.peers.keys.sorted().map { peer in
                VoiceStatus.Peer(
                    peer: peer, role: state.peers[peer]!.role.rawValue, state: state.peers[peer]!.ice,
                    volume: state.volumes[peer] ?? 1, speaking: state.speaking.contains(peer),
                    outputSlot: slots[peer])
            },
            bridge: state.bridge.map { VoiceStatus.Bridge(bridgeId: $0.bridge.bridgeId, peerId: $0.peerId, connected: $0.connected) })
    }

    // MARK: Events

    func record<Payload: EventPayload>(_ payload: Payload, _ sessionId: String) async {
        do {
            _ = try await log.append(EventDraft(stream: "voice/\(sessionId)", payload: payload, source: source))
        } catch {
            logger.error("voice: cannot append \(Payload.eventType): \(error)")
        }
    }

    func graphEvent(_ event: VoiceGraphEvent, sessionId: String) async {
        guard let state = running, state.sessionId == sessionId else { return }
        switch event {
        case .iceState(let peer, let ice):
            let up = ice == "connected" || ice == "completed"
            if peer == "bridge" { state.bridge?.connected = up }
            let wasUp = state.peers[peer].map { $0.ice == "connected" || $0.ice == "completed" } ?? true
            let previous = state.peers[peer]?.ice ?? "new"
            state.peers[peer]?.ice = ice
            await record(VoicePeerState(sessionId: sessionId, peer: peer, state: ice), sessionId)
            if ice == "failed" {
                await iceFailed(peer, previous: previous, state: state)
                return
            }
            if up, !wasUp, peer != "bridge", let generation = state.peers[peer]?.generation {
                watchForAudio(peer, generation: generation, state: state)
            }
        case .firstAudio(let peer):
            state.peers[peer]?.heard = true
            let now = ContinuousClock.now
            let added = state.peers[peer]?.addedAt ?? state.startedAt
            await record(
                VoiceFirstAudio(
                    sessionId: sessionId, peer: peer, afterPeerMs: Self.ms(now - added), afterStartMs: Self.ms(now - state.startedAt)),
                sessionId)
        case .speaking(let element, let speaking, let levelDb):
            // The hysteresis ran on the streaming thread (SpeakingThresholds): only changes come here.
            let peer = element == SpeakingThresholds.micMeter ? "me" : state.peerForMeter(element)
            guard let peer, peer == "me" || state.peers[peer] != nil else { return }
            guard speaking ? state.speaking.insert(peer).inserted : state.speaking.remove(peer) != nil else { return }
            await record(VoiceSpeaking(sessionId: sessionId, peer: peer, speaking: speaking, levelDb: levelDb), sessionId)
        case .level:
            return
        case .error(let element, let message, let peer):
            if let peer, peer != "bridge" {
                peerError(peer, element: element, message: message, state: state)
            } else {
                await record(VoiceFailure(sessionId: sessionId, message: "\(element): \(message)"), sessionId)
            }
        case .warning(let element, let message):
            logger.warning("voice: \(element): \(message)")
        case .endOfStream:
            return
        case .degraded(let degradation):
            await degraded(degradation, sessionId: sessionId)
        }
    }

    /// A device of the graph is missing or failed: a warning and `voice.degraded`, the graph plays on.
    func degraded(_ degradation: GraphDegradation, sessionId: String) async {
        logger.warning("voice: \(degradation.node) (\(degradation.element)): \(degradation.reason)")
        await record(
            VoiceDegraded(
                sessionId: sessionId, node: degradation.node, element: degradation.element, reason: degradation.reason,
                fallback: degradation.fallback),
            sessionId)
    }

    /// ICE is up for a member: if no audio of theirs reaches the mix within `silentPeerTimeout`, the connection is
    /// renegotiated once (we offer afresh) — a DTLS handshake lost at the wrong moment otherwise leaves a peer that
    /// is connected and silent for good.
    func watchForAudio(_ peer: String, generation: UInt64, state: RunningVoice) {
        let timeout = options.silentPeerTimeout
        guard timeout > .zero else { return }
        let sessionId = state.sessionId
        Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.renegotiateIfSilent(peer, generation: generation, sessionId: sessionId)
        }
    }

    func renegotiateIfSilent(_ peer: String, generation: UInt64, sessionId: String) async {
        guard let state = running, state.sessionId == sessionId, state.isCurrent(peer, generation),
            state.peers[peer]?.heard == false, !state.silentRetries.contains(peer),
            let member = parties.current.parties[sessionId]?.members[peer]
        else { return }
        state.silentRetries.insert(peer)
        await removePeer(peer, sessionId: sessionId, reason: "connected but no audio within \(options.silentPeerTimeout); renegotiating")
        await offer(to: member, state: state)
    }

    static func ms(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
