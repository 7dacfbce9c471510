import Foundation
import PartyBusTestSupport
import Synchronization
import Testing
import Voice

/// A member leaving and coming back, again and again (what `partybus bench soak` does to the daemon), between two
/// graphs in one process: every peer bin built is freed by GStreamer once its peer has left — no reference of ours
/// (the bin, its webrtcbin, signal handlers, probes, taps) keeps one alive — and the graph's own registries are
/// empty again.
@Suite("peer bins built and torn down", .serialized)
struct PeerChurnTests {
    static let cycles = 6

    @Test("after six joins and leaves, every peer bin is freed and the graphs hold no peer state")
    func churnFreesEveryBin() async throws {
        let dir = try TemporaryDirectory()
        let a = try VoiceGraph(spec: WebRTCPeerTests.headless(tone: 660, output: dir.path("a.wav")))
        let b = try VoiceGraph(spec: WebRTCPeerTests.headless(tone: 440, output: dir.path("b.wav")))
        try await a.start()
        try await b.start()
        let connected = ConnectedPeers()
        let readers = [("a", a), ("b", b)].map { name, graph in
            Task {
                for await event in graph.events {
                    if case .iceState(let peer, let state) = event, state == "connected" || state == "completed" {
                        connected.add("\(name)→\(peer)")
                    }
                }
            }
        }
        #expect(a.peerBinsAlive == 0 && b.peerBinsAlive == 0)
        for cycle in 1...Self.cycles {
            connected.reset()
            let offer = try await a.offer(peer: "b", settings: WebRTCPeerTests.loopback)
            let answer = try await b.answer(peer: "a", offer: offer, settings: WebRTCPeerTests.loopback)
            try await a.acceptAnswer(peer: "b", answer: answer)
            #expect(await eventually(timeout: .seconds(15)) { connected.has("a→b") && connected.has("b→a") }, "cycle \(cycle): ICE up")
            // The bin of this cycle counts (earlier ones may still be on the teardown queue).
            #expect(a.peerBinsAlive >= 1 && b.peerBinsAlive >= 1, "cycle \(cycle)")
            try await Task.sleep(for: .milliseconds(300))
            await a.removePeer("b")
            await b.removePeer("a")
        }
        await GStreamerThreads.drainTeardowns()
        let freed = await eventually(timeout: .seconds(10)) { a.peerBinsAlive == 0 && b.peerBinsAlive == 0 }
        #expect(freed, "peer bins still alive after every peer left: a \(a.peerBinsAlive), b \(b.peerBinsAlive)")
        #expect(a.peerIds.isEmpty && b.peerIds.isEmpty)
        #expect(a.outputSlots.isEmpty && b.outputSlots.isEmpty)
        await a.finish()
        await b.finish()
        readers.forEach { $0.cancel() }
    }
}

/// ICE connections seen, as "graph→peer".
private final class ConnectedPeers: Sendable {
    private let seen = Mutex<Set<String>>([])
    func add(_ name: String) { seen.withLock { _ = $0.insert(name) } }
    func has(_ name: String) -> Bool { seen.withLock { $0.contains(name) } }
    func reset() { seen.withLock { $0 = [] } }
}
