import Foundation
import PartyBusTestSupport
import Testing
import Voice

/// Two graphs in one process talking WebRTC over loopback (webrtcbin ↔ webrtcbin, ICE on 127.0.0.1 only).
@Suite("WebRTC peers in a running graph", .serialized)
struct WebRTCPeerTests {
    static let loopback = PeerSettings(localAddresses: ["127.0.0.1"])

    static func headless(tone: Int, output: String) throws -> GraphSpec {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../pipelines/headless-test.yaml").standardized
        let (spec, problems) = try GraphParser(variables: ["test.tone": String(tone), "test.output": output])
            .parse(text: String(contentsOf: file, encoding: .utf8), file: file.path)
        #expect(problems.isEmpty)
        return spec
    }

    /// Two started headless graphs on loopback, `a` (660 Hz, `a.wav`) offering to `b` (440 Hz, `b.wav`), answered.
    static func connectedPair(in dir: TemporaryDirectory) async throws -> (a: VoiceGraph, b: VoiceGraph) {
        let a = try VoiceGraph(spec: headless(tone: 660, output: dir.path("a.wav")))
        let b = try VoiceGraph(spec: headless(tone: 440, output: dir.path("b.wav")))
        try await a.start()
        try await b.start()
        let offer = try await a.offer(peer: "b", settings: loopback)
        let answer = try await b.answer(peer: "a", offer: offer, settings: loopback)
        try await a.acceptAnswer(peer: "b", answer: answer)
        return (a, b)
    }

    static func tonePower(_ path: String, _ frequency: Double) throws -> Double {
        try AudioAnalysis.tail(path, frequency)
    }

    @Test("an offer and an answer between two graphs carry each side's tone to the other")
    func twoWayTone() async throws {
        let dir = try TemporaryDirectory()
        let a = try VoiceGraph(spec: Self.headless(tone: 660, output: dir.path("a.wav")))
        let b = try VoiceGraph(spec: Self.headless(tone: 440, output: dir.path("b.wav")))
        try await a.start()
        try await b.start()
        let offer = try await a.offer(peer: "b", settings: Self.loopback)
        #expect(offer.contains("a=candidate:"))
        #expect(offer.contains("127.0.0.1"))
        let answer = try await b.answer(peer: "a", offer: offer, settings: Self.loopback)
        #expect(answer.contains("a=sendrecv"))
        try await a.acceptAnswer(peer: "b", answer: answer)
        try await Task.sleep(for: .seconds(3))
        if ProcessInfo.processInfo.environment["VOICE_DEBUG"] != nil {
            for (name, g) in [("a", a), ("b", b)] {
                Task { for await e in g.events { if case .level = e {} else { print("EVENT", name, e) } } }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        await a.finish()
        await b.finish()
        if ProcessInfo.processInfo.environment["VOICE_DEBUG"] != nil {
            try? FileManager.default.removeItem(atPath: "/tmp/a.wav"); try? FileManager.default.removeItem(atPath: "/tmp/b.wav")
            try FileManager.default.copyItem(atPath: dir.path("a.wav"), toPath: "/tmp/a.wav")
            try FileManager.default.copyItem(atPath: dir.path("b.wav"), toPath: "/tmp/b.wav")
        }
        let heardByA = try Self.tonePower(dir.path("a.wav"), 440)
        let heardByB = try Self.tonePower(dir.path("b.wav"), 660)
        #expect(heardByA > 1e-4, "A hears B's 440 Hz (\(heardByA))")
        #expect(heardByB > 1e-4, "B hears A's 660 Hz (\(heardByB))")
        #expect(try heardByA > 50 * Self.tonePower(dir.path("a.wav"), 660), "A does not hear itself")
        // Each side's tone against a frequency nobody sends (990 Hz) and against its own.
        let unusedA = try Self.tonePower(dir.path("a.wav"), 990), unusedB = try Self.tonePower(dir.path("b.wav"), 990)
        #expect(heardByA > 20 * unusedA, "A: 440 Hz (\(heardByA)) vs unused 990 Hz (\(unusedA))")
        #expect(heardByB > 20 * unusedB, "B: 660 Hz (\(heardByB)) vs unused 990 Hz (\(unusedB))")
        #expect(try heardByB > 50 * Self.tonePower(dir.path("b.wav"), 440), "B does not hear itself")
    }
}
