import Foundation
import Logging
import PSNSimulator
import Synchronization
import Voice

/// Real media for the PSN simulator (install it as the simulator's `SimulatorMediaHooks`):
///
/// - every scripted member gets, per party, a `VoiceGraph` that sends its own tone (or file) and records what it
///   hears to `<recordDirectory>/<sessionId>-<onlineId>.wav`; existing members offer to each newcomer over
///   `miranda:12` (through the simulator's customMessage path), answer offers sent to them and apply answers;
///   a member that leaves loses only its peers, a member's own graph ends when it leaves;
/// - every rtcBridge peer's offer comes from a real recvonly webrtcbin (C.8 shape) whose uplink is recorded to
///   `<recordDirectory>/bridge-<bridgeId>.wav`.
///
/// Media work never runs under the simulator's lock: events only queue steps here.
public final class SimulatorMedia: SimulatorMediaHooks {
    /// The options it runs with.
    public let options: SimulatorMediaOptions
    private let logger: Logger
    private let registry = Mutex(Registry())

    private struct MemberKey: Hashable {
        var accountId: String
        var sessionId: String
    }

    private struct Registry {
        var members: [MemberKey: MemberMedia] = [:]
        var bridges: [String: BridgeMedia] = [:]
        /// accountId → onlineId of every member seen.
        var onlineIds: [String: String] = [:]
        /// Accounts not in the simulator's configuration, in the order they got a tone.
        var extraAccounts: [String] = []
        /// Per-sender `global_seq_num` (D.4).
        var sequenceNumbers: [String: Int] = [:]
        var finishedRecordings: Set<String> = []
        /// Graphs being finished after a leave or a bridge delete (`stopAll` waits for them too).
        var finishing: [Task<Void, Never>] = []
        var stopped = false
    }

    /// Media with these options; install it with `PSNSimulator(configuration:logger:mediaHooks:)`.
    public init(options: SimulatorMediaOptions, logger: Logger = Logger(label: "psn-simulator-media")) {
        self.options = options
        self.logger = logger
    }

    // MARK: Public queries

    /// Where `account`'s (account id or online id) recording of party `session` is written.
    public func recordingPath(account: String, session: String) -> String {
        let onlineId = registry.withLock { $0.onlineIds[account] } ?? account
        return path("\(Self.fileSafe(session))-\(Self.fileSafe(onlineId)).wav")
    }

    /// Where bridge `bridgeId`'s uplink is written.
    public func bridgeRecordingPath(bridgeId: String) -> String {
        path("bridge-\(Self.fileSafe(bridgeId)).wav")
    }

    /// The WebRTC peers (account ids) of `account`'s (account id or online id) graphs, in one party or all.
    public func peers(of account: String, session: String? = nil) -> [String] {
        let graphs = registry.withLock { state in
            state.members.filter { key, _ in
                (key.accountId == account || state.onlineIds[key.accountId] == account)
                    && (session == nil || key.sessionId == session)
            }.map(\.value)
        }
        return Array(Set(graphs.flatMap(\.peerIds))).sorted()
    }

    /// The WebRTC peers (peer ids) of a bridge.
    public func bridgePeers(bridgeId: String) -> [String] {
        registry.withLock { $0.bridges[bridgeId] }?.graph.peerIds ?? []
    }

    /// Waits until the graph writing `path` has finished (its WAV is complete); `false` after `timeout`.
    public func waitUntilFinished(recording path: String, timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if registry.withLock({ $0.finishedRecordings.contains(path) }) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return registry.withLock { $0.finishedRecordings.contains(path) }
    }

    /// Finishes every graph (every WAV is complete when it returns). Media stays off afterwards.
    public func stopAll() async {
        let (members, bridges, finishing) = registry.withLock { state in
            state.stopped = true
            defer {
                state.members = [:]
                state.bridges = [:]
                state.finishing = []
            }
            return (Array(state.members.values), Array(state.bridges.values), state.finishing)
        }
        await withTaskGroup(of: Void.self) { group in
            for task in finishing {
                group.addTask { await task.value }
            }
            for member in members {
                group.addTask { await self.finish(member) }
            }
            for bridge in bridges {
                group.addTask { await self.finish(bridge) }
            }
        }
    }

    // MARK: SimulatorMediaHooks

    /// Routes one simulator event to the members' and bridges' queues (returns at once, except `.stopping`).
    public func handle(_ event: SimulatorMediaEvent, from simulator: PSNSimulator) async {
        switch event {
        case .memberJoined(let sessionId, let joiner, let existing):
            let joinerHasMedia = wantsMedia(joiner)
            if joinerHasMedia { _ = member(joiner, sessionId: sessionId, simulator: simulator) }
            guard joinerHasMedia || !joiner.scripted else { return }
            for offerer in existing where wantsMedia(offerer) && (options.meshBetweenMembers || !joinerHasMedia) {
                guard let media = member(offerer, sessionId: sessionId, simulator: simulator) else { continue }
                media.queue.enqueue { await media.offer(to: joiner, via: simulator) }
            }
        case .memberLeft(let sessionId, let leaver, let remaining):
            let (gone, others) = registry.withLock { state in
                (state.members.removeValue(forKey: MemberKey(accountId: leaver.accountId, sessionId: sessionId)),
                 remaining.compactMap { state.members[MemberKey(accountId: $0.accountId, sessionId: sessionId)] })
            }
            if let gone { finishLater { await self.finish(gone) } }
            for media in others {
                media.queue.enqueue { await media.drop(peer: leaver.accountId) }
            }
        case .customMessage(let sessionId, let sender, let recipients, let channel, let payload):
            for recipient in recipients where recipient.accountId != sender.accountId && wantsMedia(recipient) {
                guard let media = member(recipient, sessionId: sessionId, simulator: simulator) else { continue }
                let sole = recipients.count == 1
                media.queue.enqueue {
                    await media.receive(from: sender, channel: channel, payload: payload, soleRecipient: sole,
                                        via: simulator)
                }
            }
        case .bridgeAnswered(let bridgeId, let peerId, let sdp):
            guard let bridge = registry.withLock({ $0.bridges[bridgeId] }) else { return }
            bridge.queue.enqueue { await bridge.accept(peer: peerId, answer: sdp) }
        case .bridgePeerDeleted(let bridgeId, let peerId):
            guard let bridge = registry.withLock({ $0.bridges[bridgeId] }) else { return }
            bridge.queue.enqueue { await bridge.drop(peer: peerId) }
        case .bridgeDeleted(let bridgeId):
            guard let bridge = registry.withLock({ $0.bridges.removeValue(forKey: bridgeId) }) else { return }
            finishLater { await self.finish(bridge) }
        case .stopping:
            await stopAll()
        }
    }

    /// A real recvonly offer for the bridge peer (nil when bridges are off, stopped, or webrtcbin failed).
    public func bridgeOffer(_ request: BridgeOfferRequest) async -> String? {
        guard options.bridges, let bridge = bridge(request.bridgeId) else { return nil }
        return await bridge.queue.run { await bridge.offer(peer: request.peerId) }
    }

    // MARK: Graphs

    /// Whether `member` gets media under `options.members`.
    private func wantsMedia(_ member: SimulatorMediaMember) -> Bool {
        switch options.members {
        case .scripted: return member.scripted
        case .accounts(let names): return names.contains(member.accountId) || names.contains(member.onlineId)
        }
    }

    /// The member's media in the party, built on first use; nil once stopped or when the graph cannot be built.
    /// Graphs are built under the registry lock (a few milliseconds; never the simulator's lock), so two callers
    /// cannot build two graphs writing the same file.
    private func member(_ member: SimulatorMediaMember, sessionId: String, simulator: PSNSimulator) -> MemberMedia? {
        let key = MemberKey(accountId: member.accountId, sessionId: sessionId)
        let configured = simulator.configuration.accounts.map(\.accountId)
        return registry.withLock { state -> MemberMedia? in
            state.onlineIds[member.accountId] = member.onlineId
            if state.stopped { return nil }
            if let existing = state.members[key] { return existing }
            let recording = path("\(Self.fileSafe(sessionId))-\(Self.fileSafe(member.onlineId)).wav")
            do {
                try FileManager.default.createDirectory(atPath: options.recordDirectory, withIntermediateDirectories: true)
                let media = try MemberMedia(
                    member: member, sessionId: sessionId,
                    source: mediaSource(for: member, configured: configured, in: &state), recordingPath: recording,
                    settings: PeerSettings(localAddresses: options.localAddresses, gatheringTimeout: options.gatheringTimeout),
                    nextSequenceNumber: { [weak self] in self?.nextSequenceNumber(member.accountId) ?? 1 }, logger: logger)
                state.members[key] = media
                state.finishedRecordings.remove(recording)
                return media
            } catch {
                logger.error("no media for member", metadata: ["member": .string(member.onlineId), "error": "\(error)"])
                return nil
            }
        }
    }

    /// The bridge's media, built on first use (under the registry lock, as members are).
    private func bridge(_ bridgeId: String) -> BridgeMedia? {
        registry.withLock { state -> BridgeMedia? in
            if state.stopped { return nil }
            if let existing = state.bridges[bridgeId] { return existing }
            let recording = bridgeRecordingPath(bridgeId: bridgeId)
            do {
                try FileManager.default.createDirectory(atPath: options.recordDirectory, withIntermediateDirectories: true)
                let media = try BridgeMedia(bridgeId: bridgeId, recordingPath: recording,
                                            localAddresses: options.localAddresses,
                                            gatheringTimeout: options.gatheringTimeout, logger: logger)
                state.bridges[bridgeId] = media
                state.finishedRecordings.remove(recording)
                return media
            } catch {
                logger.error("no media for bridge", metadata: ["bridgeId": .string(bridgeId), "error": "\(error)"])
                return nil
            }
        }
    }

    /// `options.sources` by account id or online id, else the next default tone in account order.
    private func mediaSource(for member: SimulatorMediaMember, configured: [String],
                        in state: inout Registry) -> SimulatorMediaOptions.Source {
        if let source = options.sources[member.accountId] ?? options.sources[member.onlineId] { return source }
        let tones = options.defaultTones.isEmpty ? [440] : options.defaultTones
        var index = configured.firstIndex(of: member.accountId)
        if index == nil {
            if !state.extraAccounts.contains(member.accountId) { state.extraAccounts.append(member.accountId) }
            index = configured.count + (state.extraAccounts.firstIndex(of: member.accountId) ?? 0)
        }
        return .tone(tones[(index ?? 0) % tones.count])
    }

    /// Finishes a graph in the background; `stopAll` waits for it.
    private func finishLater(_ work: @escaping @Sendable () async -> Void) {
        let task = Task { await work() }
        registry.withLock { $0.finishing.append(task) }
    }

    private func finish(_ member: MemberMedia) async {
        await member.queue.run { await member.finish() }
        registry.withLock { _ = $0.finishedRecordings.insert(member.recordingPath) }
    }

    private func finish(_ bridge: BridgeMedia) async {
        await bridge.queue.run { await bridge.finish() }
        registry.withLock { _ = $0.finishedRecordings.insert(bridge.recordingPath) }
    }

    private func nextSequenceNumber(_ accountId: String) -> Int {
        registry.withLock { state in
            state.sequenceNumbers[accountId, default: 0] += 1
            return state.sequenceNumbers[accountId]!
        }
    }

    private func path(_ name: String) -> String {
        URL(fileURLWithPath: options.recordDirectory).appendingPathComponent(name).path
    }

    private static func fileSafe(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" })
    }
}
