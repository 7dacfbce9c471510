import Foundation
import PartyBusTestSupport
import Testing
import Voice

/// The mic's RTP goes to every peer on the mic's own thread, no queue per peer (send_gate_shim.h). What that must not
/// break: a peer still before DTLS (its webrtcbin blocks RTP until its keys are set) must not hold the mic back from
/// the others, and a peer taken out while the mic pushes into it must not stop the mic.
@Suite("Sending from the mic's thread", .serialized)
struct MicThreadSendTests {
    @Test("a peer that never answers does not hold back a connected one; peers taken out mid-stream leave the mic running")
    func stuckAndChurningPeers() async throws {
        let dir = try TemporaryDirectory()
        let (a, b) = try await WebRTCPeerTests.connectedPair(in: dir)
        // Two offers nobody answers: their branches hang off the mic's tee before any DTLS.
        _ = try await a.offer(peer: "stuck1", settings: WebRTCPeerTests.loopback)
        _ = try await a.offer(peer: "stuck2", settings: WebRTCPeerTests.loopback)
        // Peers that connect, hear us, and are taken out while the mic pushes into them, one after the other.
        for round in 0..<4 {
            let c = try VoiceGraph(spec: WebRTCPeerTests.headless(tone: 520, output: dir.path("c\(round).wav")))
            try await c.start()
            let offer = try await a.offer(peer: "c", settings: WebRTCPeerTests.loopback)
            let answer = try await c.answer(peer: "a", offer: offer, settings: WebRTCPeerTests.loopback)
            try await a.acceptAnswer(peer: "c", answer: answer)
            try await Task.sleep(for: .milliseconds(1500))
            await a.removePeer("c")
            await c.finish()
            let heard = try AudioAnalysis.strongest(dir.path("c\(round).wav"), 660)
            let unused = try AudioAnalysis.strongest(dir.path("c\(round).wav"), 990)
            #expect(heard > 20 * unused, "round \(round): c heard us (660 Hz \(heard), unused 990 Hz \(unused))")
        }
        await a.removePeer("stuck1")
        try await Task.sleep(for: .seconds(2))
        await a.finish()
        await b.finish()
        // b still hears us at the end: the mic never stopped, and no branch held it.
        let heard = try AudioAnalysis.tail(dir.path("b.wav"), 660)
        let unused = try AudioAnalysis.tail(dir.path("b.wav"), 990)
        #expect(heard > 1e-4 && heard > 20 * unused, "b hears 660 Hz at the end (\(heard); unused 990 Hz \(unused))")
    }
}
