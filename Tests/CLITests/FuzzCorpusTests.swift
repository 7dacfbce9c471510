import PartyBusTestSupport
import Foundation
import Testing

/// Every committed fuzz input (seeds, and each finding once fixed) goes through its parser again in every test run:
/// a finding that comes back fails here, without the fuzzer.
@Suite("Fuzz corpora replay")
struct FuzzCorpusTests {
    static let targets = ["miranda", "push", "sdp", "graph", "config", "errorbody", "token", "p2ptoken", "stun"]

    @Test("each target's corpus replays without a crash", arguments: targets)
    func replay(target: String) throws {
        let corpus = PartybusProcess.packageRoot.appendingPathComponent("Tests/Fixtures/fuzz-corpus/\(target)").path
        let inputs = try FileManager.default.contentsOfDirectory(atPath: corpus)
        #expect(!inputs.isEmpty, "no seed inputs for \(target)")
        let process = Process()
        process.executableURL = buildProductsDirectory.appendingPathComponent("partybus-fuzz")
        process.arguments = [target, corpus]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let output = Collector(out.fileHandleForReading)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(target): \(output.finish())")
        #expect(output.finish().contains("\(target): \(inputs.count) inputs replayed, no crash"))
    }

    @Test("an unknown target is refused with the list of targets")
    func unknownTarget() throws {
        let process = Process()
        process.executableURL = buildProductsDirectory.appendingPathComponent("partybus-fuzz")
        process.arguments = ["nonsense", "/dev/null"]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let stderr = Collector(err.fileHandleForReading)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(stderr.finish().contains("miranda|push|sdp|graph|config|errorbody|token|p2ptoken|stun"))
    }
}
