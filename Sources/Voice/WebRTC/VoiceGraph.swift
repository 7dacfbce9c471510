import CGStreamer
import Dispatch
import Foundation
import PartyBusPluginAPI
import Synchronization

/// A voice graph running with its WebRTC peers: the pipeline built from a `GraphSpec`, one bin per peer added and
/// removed while it plays (others keep playing), SDP offer/answer on webrtcbin, and every GStreamer callback (ICE
/// state, first audio, level meters, errors) delivered in order on `events`.
///
/// Blocking GStreamer calls (promise waits, state changes, ICE gathering) run on dispatch threads, never on Swift
/// concurrency's threads.
public final class VoiceGraph: Sendable {
    /// The graph it runs.
    public let spec: GraphSpec
    /// Everything GStreamer reports, in order. One consumer; one that falls more than `eventCapacity` behind loses
    /// the oldest (counted in `droppedEvents`).
    public let events: AsyncStream<VoiceGraphEvent>
    private let continuation: GraphEventFeed
    private let pipeline: GraphPipeline
    private let peers = Mutex<[String: PeerBin]>([:])
    private let running = Atomic<Bool>(false)
    private let sawEndOfStream = Atomic<Bool>(false)
    /// The mic is a live source: peers send its RTP unpaced (`pb_webrtc_send_unpaced`).
    private let liveMic = Atomic<Bool>(false)
    private let busDone = Mutex<Bool>(false)
    /// Device nodes (`DeviceCheck`): an error from one of them while playing is a degradation, reported once.
    private let deviceNodes: Set<String>
    private let degradedNodes = Mutex<Set<String>>([])
    /// The slot (`%{slot}`) each peer with a per-peer output holds.
    private let slots = Mutex<[String: Int]>([:])
    /// This graph's peer bins not yet finalized by GStreamer.
    private let binCount = PeerBinCount()
    /// Where this graph's taps feed (nil: no taps).
    private let tapHub: VoiceTapHub?
    /// The party the graph talks in, stamped on tap buffers.
    private let tapSession: String?
    /// When the speaking detectors (each peer's meter and the `micmeter`) say someone speaks.
    private let speaking: SpeakingThresholds

    /// The pipeline element (for probes).
    var pipelineElement: UnsafeMutablePointer<GstElement> { pipeline.pipeline }

    /// The mic tap (where send branches attach), if the graph has one.
    public var micTap: String? { spec.taps.first { $0.name == "mic" }?.node }

    /// Builds the pipeline of `spec` (nothing plays yet). `deviceNodes` are the nodes `DeviceCheck` found to be
    /// audio devices: an error from one while playing comes as `.degraded`, not `.error`. `taps` is where the
    /// graph's voice taps feed (nil: none), `sessionId` the party stamped on their buffers; `eventCapacity` how far
    /// the consumer of `events` may fall behind before the oldest are dropped (and counted); `speaking` the
    /// speaking detectors' thresholds.
    public init(spec: GraphSpec, deviceNodes: Set<String> = [], taps: VoiceTapHub? = nil, sessionId: String? = nil,
                eventCapacity: Int = 4096, speaking: SpeakingThresholds = .init()) throws {
        self.spec = spec
        self.speaking = speaking
        self.deviceNodes = deviceNodes
        tapHub = taps
        tapSession = sessionId
        pipeline = try GraphPipeline(description: LaunchDescription.make(spec))
        continuation = GraphEventFeed(capacity: eventCapacity)
        events = continuation.stream
    }

    deinit {
        running.store(false, ordering: .sequentiallyConsistent)
        continuation.finish()
    }

    /// Starts playing (the state change on a dispatch thread) and starts reading the pipeline's bus.
    public func start() async throws {
        try SessionFile.writeAll(spec)
        attachGraphTaps()
        // Our own speaking indicator: the detector on the graph's `micmeter`, if it has one.
        speaking.attach(to: pipeline.pipeline, element: SpeakingThresholds.micMeter)
        try await pipeline.start()
        running.store(true, ordering: .sequentiallyConsistent)
        await learnWhetherMicIsLive()
        let pipeline = self.pipeline
        let continuation = self.continuation
        let flag = RunFlag(graph: self)
        Thread.detachNewThread {
            Self.readBus(pipeline: pipeline, continuation: continuation, flag: flag)
        }
    }

    private struct EndFlag: Sendable {
        let graph: VoiceGraph
        var sawEnd: Bool { graph.sawEndOfStream.load(ordering: .sequentiallyConsistent) }
    }

    private struct RunFlag: @unchecked Sendable {
        weak var graph: VoiceGraph?
    }

    private static func readBus(pipeline: GraphPipeline, continuation: GraphEventFeed, flag: RunFlag) {
        while let graph = flag.graph, graph.running.load(ordering: .relaxed) {
            var source: UnsafeMutablePointer<CChar>?
            var text: UnsafeMutablePointer<CChar>?
            var scope: UnsafeMutablePointer<CChar>?
            var value = 0.0
            // Waits up to a second: the reader wakes for messages only (`stop` wakes it with one), not ten times a
            // second for nothing; the timeout only lets a graph dropped without `stop` go.
            let kind = pb_bus_next(pipeline.pipeline, 1000, &source, &text, &value, &scope)
            let element = source.map { String(cString: $0) } ?? ""
            let message = text.map { String(cString: $0) } ?? ""
            let bin = scope.map { String(cString: $0) }
            g_free(source)
            g_free(text)
            g_free(scope)
            switch kind {
            case 1:
                // An error inside a peer's bin names the peer; a peer bin no longer in the graph is being torn down.
                if let bin, bin.hasPrefix("peer_") {
                    if let peer = graph.peer(ownedBy: bin) {
                        continuation.yield(.error(element: element, message: message, peer: peer))
                    } else {
                        continuation.yield(.warning(element: element, message: "\(message) (while \(bin) was torn down)"))
                    }
                } else if let node = graph.deviceNode(scope: bin, element: element) {
                    // A device that fails while playing (a mic that cannot open its stream): the rest plays on.
                    if graph.degradedNodes.withLock({ $0.insert(node).inserted }) {
                        let factory = graph.spec.node(node)?.element ?? element
                        continuation.yield(.degraded(GraphDegradation(
                            node: node, element: factory, reason: "\(factory) failed while playing (\(element): \(message))",
                            fallback: "nothing")))
                    } else {
                        continuation.yield(.warning(element: element, message: message))
                    }
                } else {
                    continuation.yield(.error(element: element, message: message, peer: nil))
                }
            case 2:
                graph.sawEndOfStream.store(true, ordering: .sequentiallyConsistent)
                continuation.yield(.endOfStream)
            case 3: continuation.yield(.level(element: element, rms: value))
            case 4: continuation.yield(.warning(element: element, message: message))
            case 5, 6: continuation.yield(.speaking(element: element, speaking: kind == 5, levelDb: value))
            default: break
            }
        }
        flag.graph?.busDone.withLock { $0 = true }
    }

    /// The device node an error came from: the graph's child it was posted inside, or the element itself.
    func deviceNode(scope: String?, element: String) -> String? {
        if let scope, deviceNodes.contains(scope) { return scope }
        return deviceNodes.contains(element) ? element : nil
    }

    /// The peer whose bin is called `bin` (`peer_webrtc_<suffix>`), if it is still in the graph.
    func peer(ownedBy bin: String) -> String? {
        peers.withLock { bins in bins.first { "peer_\($0.value.description.webrtc)" == bin }?.key }
    }

    /// Events dropped because the consumer of `events` was too far behind.
    public var droppedEvents: Int { continuation.dropped }

    /// Events every graph of this process dropped so far (for `/metrics`).
    public static var droppedEventsTotal: Int { GraphEventFeed.droppedTotal }

    /// Peer bins of this graph that GStreamer has not freed yet: the peers in the graph plus those still being torn
    /// down. Back to 0 once every peer has left and the teardowns are done (`GStreamerThreads.drainTeardowns`); a
    /// reference to a bin left behind keeps it counted.
    public var peerBinsAlive: Int { binCount.alive }

    /// Peer bins of every graph of this process not yet freed (for `/metrics`).
    public static var peerBinsAliveTotal: Int { PeerBinCount.aliveTotal }

    /// The peers now in the graph.
    public var peerIds: [String] { peers.withLock { Array($0.keys).sorted() } }

    /// Adds peer `peer` as the answerer of `offer`: builds its bin with the offer's Opus payload type, applies the
    /// offer, creates the answer and waits for ICE gathering. Returns the complete answer SDP (Opus written at the
    /// offer's clock rate). A garbage offer throws before anything is built.
    public func answer(peer: String, offer text: String, settings: PeerSettings = .init()) async throws -> String {
        let offer = try SessionDescription(text)
        let bin = try await addPeer(peer, payloadType: offer.opusPayloadType, settings: settings)
        bin.remoteClockRate = offer.opusClockRate
        do {
            return try await Self.blocking(on: bin.queue) {
                // webrtcbin matches the offer's audio section to our sending transceiver only once it knows the
                // transceiver is audio, i.e. once caps have flowed; otherwise our answer would never send. A mic that
                // never delivers (no device) must not cost the listening side, so after 1 s we answer anyway.
                bin.waitForSendCaps()
                try bin.setDescription(remote: true, offer: true, text: offer.forWebRTCBin)
                try bin.createLocal(offer: false)
                return try bin.completeLocalSDP(settings: settings)
            }
        } catch {
            await remove(peer, bin: bin)
            throw error
        }
    }

    /// Adds peer `peer` as the offerer: builds its bin (Opus at payload type `payloadType`), creates the offer and
    /// waits for ICE gathering. Returns the complete offer SDP.
    public func offer(peer: String, payloadType: Int = 111, settings: PeerSettings = .init()) async throws -> String {
        let bin = try await addPeer(peer, payloadType: payloadType, settings: settings)
        do {
            return try await Self.blocking(on: bin.queue) {
                if !bin.sends { try bin.addReceiveOnlyTransceiver(payloadType: payloadType) }
                bin.waitForSendCaps()
                if settings.dataChannel { try bin.createDataChannel() }
                try bin.createLocal(offer: true)
                return try bin.completeLocalSDP(settings: settings)
            }
        } catch {
            await remove(peer, bin: bin)
            throw error
        }
    }

    /// Applies the answer to an offer we made to `peer`.
    public func acceptAnswer(peer: String, answer text: String) async throws {
        let answer = try SessionDescription(text)
        guard let bin = peers.withLock({ $0[peer] }) else { throw VoiceError("no peer '\(peer)' is waiting for an answer") }
        try await Self.blocking(on: bin.queue) { try bin.setDescription(remote: true, offer: false, text: answer.forWebRTCBin) }
    }

    /// Every peer's inbound RTP statistics, asked of each webrtcbin on its own queue (peers with no inbound stream
    /// yet are left out).
    public func rtpStatistics() async -> [PeerRTPStatistics] {
        let bins = peers.withLock { Array($0.values) }
        return await withTaskGroup(of: PeerRTPStatistics?.self) { group in
            for bin in bins {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        bin.queue.async { continuation.resume(returning: bin.inboundStatistics()) }
                    }
                }
            }
            var out: [PeerRTPStatistics] = []
            for await statistics in group { if let statistics { out.append(statistics) } }
            return out.sorted { $0.peer < $1.peer }
        }
    }

    /// Removes a peer's bin; the rest of the graph keeps playing. Nothing happens for an unknown peer.
    public func removePeer(_ peer: String) async {
        guard let bin = peers.withLock({ $0[peer] }) else { return }
        await remove(peer, bin: bin)
    }

    /// Removes `bin` if it is still the peer's (a failed negotiation must not take down the bin that replaced it).
    private func remove(_ peer: String, bin: PeerBin) async {
        let owned = peers.withLock { bins -> Bool in
            guard bins[peer] === bin else { return false }
            bins[peer] = nil
            return true
        }
        guard owned else { return }
        let pipeline = self.pipeline
        await Self.blockingQuietly(on: bin.queue) { bin.remove(from: pipeline.pipeline) }
        // Freed only once the bin is out: a newcomer given the slot may bind the same port.
        let gone = peers.withLock { $0[peer] == nil }
        if gone { slots.withLock { $0[peer] = nil } }
    }

    /// Sets a property of a named element while playing (mute, per-peer volume).
    public func set(element: String, property: String, to value: String) throws {
        try pipeline.set(element: element, property: property, to: value)
    }

    /// The per-peer volume element of `peer` (nil without a receive branch).
    public func volumeElement(of peer: String) -> String? { peers.withLock { $0[peer]?.description.volume } }

    /// The `clocksync` stages inside `peer`'s webrtcbin and how many still pace RTP to the clock (none with a live
    /// mic: `pb_webrtc_send_unpaced`). Nil for an unknown peer. For tests and diagnostics.
    public func sendPacing(of peer: String) -> (stages: Int, paced: Int)? {
        guard let bin = peers.withLock({ $0[peer] }) else { return nil }
        let count = pb_clocksyncs(bin.webrtc)
        return (Int(count.total), Int(count.synced))
    }

    /// Whether `peer`'s ICE agent would map ports with UPnP (never: `pb_webrtc_disable_upnp`); nil for an unknown
    /// peer or when this GStreamer does not show its NiceAgent. For tests and diagnostics.
    public func usesUPnP(_ peer: String) -> Bool? {
        guard let bin = peers.withLock({ $0[peer] }) else { return nil }
        let state = pb_webrtc_upnp_enabled(bin.webrtc)
        return state < 0 ? nil : state == 1
    }

    /// The per-peer level meter of `peer` (nil without a receive branch).
    func peerMeter(_ peer: String) -> String? { peers.withLock { $0[peer]?.description.meter } }

    /// Ends the graph so its files are complete and hold the audio up to this moment: end-of-stream goes in right
    /// after each mixer first (tearing peers down takes a while, and a live mixer would fill that time with
    /// silence), then every peer is removed, the sources get end-of-stream, and the pipeline stops once its sinks
    /// have finished (or after `timeout`).
    public func finish(timeout: Duration = .seconds(10)) async {
        let mixers = spec.nodes.filter { ["audiomixer", "liveadder", "adder"].contains($0.element) }.map(\.name)
        if running.load(ordering: .sequentiallyConsistent) {
            // A sink that never prerolled (a device that would not open) holds end-of-stream until the pipeline
            // stops: wait for it a little, off this thread; stopping later releases it.
            let pipeline = self.pipeline
            await Self.blockingQuietly(atMost: .seconds(1)) {
                for mixer in mixers { _ = pb_end_after(pipeline.pipeline, mixer) }
            }
        }
        for peer in peerIds { await removePeer(peer) }
        guard running.load(ordering: .sequentiallyConsistent) else { return }
        // Sending end-of-stream takes each live source's stream lock, which a streaming thread blocked in a push
        // holds (seen in CI: finish hung here for good). Sent off the cooperative pool and waited for at most 2 s;
        // stopping below flushes the pads, which releases a sender still blocked.
        let pipeline = self.pipeline
        await Self.blockingQuietly(atMost: .seconds(2)) { pb_send_eos(pipeline.pipeline) }
        // Waited for on a dispatch thread: a cancelled caller (shutdown) still gets complete files.
        let deadline = ContinuousClock.now + timeout
        let ended = EndFlag(graph: self)
        await Self.blockingQuietly {
            while !ended.sawEnd, ContinuousClock.now < deadline { usleep(10_000) }
        }
        await stop()
    }

    /// Stops at once (no end-of-stream).
    public func stop() async {
        for peer in peerIds { await removePeer(peer) }
        running.store(false, ordering: .sequentiallyConsistent)
        let pipeline = self.pipeline
        pb_bus_wake(pipeline.pipeline)
        await Self.blockingQuietly { _ = gst_element_set_state(pipeline.pipeline, GST_STATE_NULL) }
        continuation.finish()
    }

    private func addPeer(_ peer: String, payloadType: Int, settings: PeerSettings) async throws -> PeerBin {
        let suffix = Self.elementSuffix(peer)
        let send = settings.send && micTap != nil
        let slot = settings.receive && spec.peer?.output != nil ? claimSlot(peer) : 0
        let description = PeerBinDescription.make(
            spec: spec, suffix: suffix, payloadType: payloadType, send: send, receive: settings.receive, slot: slot)
        let bridge = CallbackBridge(continuation: continuation, peer: peer)
        let bin = try PeerBin(
            peer: peer, description: description, settings: settings, bridge: bridge, count: binCount,
            speaking: speaking, unpaced: send && micIsLive())
        // Check and claim the peer's slot in one step: two negotiations for one peer must not both attach.
        let claimed = peers.withLock { bins -> Bool in
            guard bins[peer] == nil else { return false }
            bins[peer] = bin
            return true
        }
        guard claimed else { throw VoiceError("peer '\(peer)' is already in the graph") }
        do {
            attachPeerTaps(bin, suffix: suffix)
            // Bringing the bin to the pipeline's state is a blocking state change: on the peer's queue.
            let pipeline = self.pipeline
            let tap = send ? micTap : nil
            try await Self.blocking(on: bin.queue) { try bin.attach(to: pipeline.pipeline, micTap: tap) }
        } catch {
            peers.withLock { bins in if bins[peer] === bin { bins[peer] = nil } }
            slots.withLock { $0[peer] = nil }
            throw error
        }
        return bin
    }

    /// Whether the mic is a live source, asked upstream of the `mic` tap once it has negotiated (a source answers
    /// the latency query only then); a yes is kept.
    private func micIsLive() -> Bool {
        if liveMic.load(ordering: .sequentiallyConsistent) { return true }
        guard let mic = micTap, pb_upstream_is_live(pipeline.pipeline, mic) == 1 else { return false }
        liveMic.store(true, ordering: .sequentiallyConsistent)
        return true
    }

    /// At start, waits (up to 2 s) for the mic's source to answer the latency query, so a peer added right after
    /// start knows whether to send unpaced. Asked only at peer-add before, a peer added before the source had
    /// negotiated was taken as paced for good (CI saw it in `SendPacingTests`).
    private func learnWhetherMicIsLive() async {
        guard let mic = micTap else { return }
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline {
            let answer = pb_upstream_is_live(pipeline.pipeline, mic)
            if answer == 1 { liveMic.store(true, ordering: .sequentiallyConsistent) }
            if answer != -1 { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The lowest slot no other peer holds (kept while the peer is in the graph, freed when it leaves).
    private func claimSlot(_ peer: String) -> Int {
        slots.withLock { taken in
            if let mine = taken[peer] { return mine }
            let used = Set(taken.values)
            let slot = (0...).first { !used.contains($0) } ?? 0
            taken[peer] = slot
            return slot
        }
    }

    /// The slot of each peer with a per-peer output (`%{slot}` in `peer.output`).
    public var outputSlots: [String: Int] { slots.withLock { $0 } }

    /// Probes the mix (the `party-mix` tap's node, decoded) and the mic (RTP into the `mic` tap's node).
    private func attachGraphTaps() {
        guard let hub = tapHub else { return }
        if let mix = spec.taps.first(where: { $0.name == "party-mix" })?.node {
            TapPoint(hub: hub, tap: .mix, peer: nil, sessionId: tapSession, rtp: false)
                .attach(to: pipeline.pipeline, element: mix, pad: "src")
        }
        if let mic = micTap {
            TapPoint(hub: hub, tap: .mic, peer: nil, sessionId: tapSession, rtp: true)
                .attach(to: pipeline.pipeline, element: mic, pad: "sink")
        }
    }

    /// Probes a peer's received RTP (after the jitterbuffer) and its decoded audio (after its volume).
    private func attachPeerTaps(_ bin: PeerBin, suffix: String) {
        guard let hub = tapHub, bin.description.receiveExit != nil else { return }
        TapPoint(hub: hub, tap: .peerPackets, peer: bin.peer, sessionId: tapSession, rtp: true)
            .attach(to: bin.bin, element: "rtpin_\(suffix)", pad: "src")
        if let meter = bin.description.meter {
            TapPoint(hub: hub, tap: .peerAudio, peer: bin.peer, sessionId: tapSession, rtp: false)
                .attach(to: bin.bin, element: meter, pad: "src")
        }
    }

    /// A peer id as GStreamer element names allow it.
    public static func elementSuffix(_ peer: String) -> String {
        String(peer.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    /// Runs blocking GStreamer work on a dispatch queue (a peer's own serial queue, or any thread).
    static func blocking<T: Sendable>(on queue: DispatchQueue = .global(), _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await GStreamerThreads.run(on: queue, work)
    }

    /// Runs blocking work on a dispatch thread and waits for it at most `limit` (the work goes on regardless).
    static func blockingQuietly(atMost limit: Duration, _ work: @escaping @Sendable () -> Void) async {
        await GStreamerThreads.runQuietly(atMost: limit, work)
    }

    static func blockingQuietly(on queue: DispatchQueue = .global(), _ work: @escaping @Sendable () -> Void) async {
        await GStreamerThreads.runQuietly(on: queue, work)
    }
}
