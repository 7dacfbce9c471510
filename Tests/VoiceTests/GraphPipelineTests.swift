import Foundation
import PartyBusTestSupport
import Testing
import Voice

@Suite("Graphs running on GStreamer", .serialized)
struct GraphPipelineTests {
    @Test(
        "the headless graph carries the mic tone through Opus, RTP and a peer's receive template into the mix file",
        arguments: [(660.0, 440.0), (440.0, 660.0)])
    func toneThroughLoopbackPeer(frequency: Double, other otherFrequency: Double) async throws {
        let dir = try TemporaryDirectory()
        let output = dir.path("party-mix.wav")
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../pipelines/headless-test.yaml").standardized
        let (spec, problems) = try GraphParser(variables: ["test.tone": String(Int(frequency)), "test.output": output])
            .parse(text: String(contentsOf: file, encoding: .utf8), file: file.path)
        #expect(problems.isEmpty)
        let description = LaunchDescription.make(spec, peers: [(id: "loop", source: .node("send"))])
        #expect(description.contains("volume name=level_loop"))
        let pipeline = try GraphPipeline(description: description)
        try pipeline.play()
        // Two seconds from the first audio written, not from play(): on a loaded CI machine the start alone took
        // that long once, and the file held no audio at all.
        _ = await eventually(timeout: .seconds(15)) { Self.fileSize(output) > 4096 }
        try await Task.sleep(for: .seconds(2))
        try await pipeline.finish()

        let wav = try AudioAnalysis.readWAV(output)
        #expect(wav.rate > 0)
        // Mono view of the last second (skip the start while Opus and the mixer settle).
        let mono = stride(from: 0, to: wav.samples.count, by: wav.channels).map { wav.samples[$0] }
        #expect(mono.count > wav.rate, "at least a second of audio was written (\(mono.count) samples)")
        let window = mono.suffix(wav.rate)
        let tone = AudioAnalysis.power(of: frequency, in: window, rate: wav.rate)
        let other = AudioAnalysis.power(of: otherFrequency, in: window, rate: wav.rate)
        #expect(tone > 1e-4, "\(frequency) Hz is present (power \(tone))")
        #expect(tone > 50 * other, "\(frequency) Hz dominates \(otherFrequency) Hz (\(tone) vs \(other))")
    }

    /// The size of a file so far (0 when there is none yet).
    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    @Test("a peer's volume set to 0 while running removes its audio from the mix")
    func peerVolumeZero() async throws {
        let dir = try TemporaryDirectory()
        let output = dir.path("party-mix.wav")
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../pipelines/headless-test.yaml").standardized
        let (spec, _) = try GraphParser(variables: ["test.tone": "660", "test.output": output])
            .parse(text: String(contentsOf: file, encoding: .utf8), file: file.path)
        let pipeline = try GraphPipeline(description: LaunchDescription.make(spec, peers: [(id: "loop", source: .node("send"))]))
        try pipeline.play()
        // The change comes well after the "before" window (0.5–1.0 s of output), even if the start is slow.
        try await Task.sleep(for: .milliseconds(2500))
        try pipeline.set(element: "level_loop", property: "volume", to: "0")
        #expect(throws: GraphError.self) { try pipeline.set(element: "level_nobody", property: "volume", to: "0") }
        try await Task.sleep(for: .milliseconds(1500))
        try await pipeline.finish()

        let wav = try AudioAnalysis.readWAV(output)
        let mono = stride(from: 0, to: wav.samples.count, by: wav.channels).map { wav.samples[$0] }
        let second = wav.rate
        #expect(mono.count > 2 * second)
        // Before the change the tone is there; in the last half second after it, it is gone.
        let before = AudioAnalysis.power(of: 660, in: mono[(second / 2)..<second], rate: wav.rate)
        let after = AudioAnalysis.power(of: 660, in: mono.suffix(second / 2), rate: wav.rate)
        #expect(before > 1e-4, "tone before muting the peer (\(before))")
        #expect(after < before / 1000, "tone gone after volume 0 (\(after) vs \(before))")
    }

    @Test("a description GStreamer cannot build is a clear error, not a crash")
    func unbuildable() {
        #expect { try GraphPipeline(description: "audiotestsrc ! nosuchelement ! fakesink") } throws: { error in
            "\(error)".contains("cannot build the pipeline") && "\(error)".contains("nosuchelement")
        }
    }
}
