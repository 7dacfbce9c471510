import Foundation
import Logging
import PSNSimulator
import PSNSimulatorMedia
import PartyBusTestSupport
import Testing
import Voice

/// Accounts, the simulator with media, and audio checks shared by the media tests.
enum MediaFixture {
    /// Scripted members (never signed in): default tones 440, 550, 770 Hz in this order.
    static let alice = SimulatedAccount(accountId: "3000000000000000001", onlineId: "alice_sim", npsso: "")
    static let bob = SimulatedAccount(accountId: "3000000000000000002", onlineId: "bob_sim", npsso: "")
    static let carol = SimulatedAccount(accountId: "3000000000000000003", onlineId: "carol_sim", npsso: "")
    /// The test's own client (signs in, opens push).
    static let client = SimulatedAccount(accountId: "3000000000000000009", onlineId: "client_sim",
                                         npsso: String(repeating: "x", count: 64))
    static let clientId = "09515159-7237-4370-9b40-3806e67c0891"
    static let secret = "test-secret"
    static let redirect = "com.scee.psxandroid.scecompcall://redirect"
    static let loopback = PeerSettings(localAddresses: ["127.0.0.1"])

    static func configuration() -> SimulatorConfiguration {
        var config = SimulatorConfiguration(accounts: [alice, bob, carol, client])
        config.clientSecret = secret
        return config
    }

    /// Runs `body` with a simulator that has media recording into `directory`.
    static func withMedia(_ directory: TemporaryDirectory, sources: [String: SimulatorMediaOptions.Source] = [:],
                          _ body: @Sendable (PSNSimulator, SimulatorMedia) async throws -> Void) async throws {
        var logger = Logger(label: "psn-simulator-media-test")
        logger.logLevel = ProcessInfo.processInfo.environment["MEDIA_DEBUG"] != nil ? .debug : .warning
        let options = SimulatorMediaOptions(recordDirectory: directory.path("recordings"), sources: sources)
        try await PSNSimulator.withMedia(options, configuration: configuration(), logger: logger, body)
    }

    /// `actor` creates an open party; returns its session id.
    static func createParty(_ simulator: PSNSimulator, _ actor: SimulatedAccount) throws -> String {
        let created = try simulator.perform(actor: actor.onlineId, action: "create",
                                           args: ["joinableUserType": .string("OPEN")])
        return try #require(created["sessionId"]?.stringValue)
    }

    static func join(_ simulator: PSNSimulator, _ actor: SimulatedAccount, _ sessionId: String) throws {
        try simulator.perform(actor: actor.onlineId, action: "join", args: [
            "sessionId": .string(sessionId), "ignoreAccessControl": .bool(true),
        ])
    }

    /// The headless test graph (`pipelines/headless-test.yaml`) with this tone, recording to `output`.
    static func headless(tone: Int, output: String) throws -> GraphSpec {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../pipelines/headless-test.yaml").standardized
        let (spec, problems) = try GraphParser(variables: ["test.tone": String(tone), "test.output": output])
            .parse(text: String(contentsOf: file, encoding: .utf8), file: file.path)
        #expect(problems.isEmpty)
        return spec
    }
}

/// Tone checks on recordings (AudioAnalysis in PartyBusTestSupport) and test WAV files.
enum Audio {
    /// Power of `frequency` in the last `seconds` of the file's first channel (Goertzel).
    static func power(_ path: String, _ frequency: Double, lastSeconds seconds: Double = 1) throws -> Double {
        try AudioAnalysis.tail(path, frequency, seconds: seconds)
    }

    /// Writes a 48 kHz mono 16-bit WAV of a sine at `frequency`.
    static func writeTone(_ path: String, frequency: Double, seconds: Double) throws {
        let rate = 48_000, count = Int(Double(rate) * seconds)
        var bytes: [UInt8] = []
        func le(_ value: Int, _ size: Int) { for i in 0..<size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * i))) } }
        bytes += Array("RIFF".utf8); le(36 + 2 * count, 4); bytes += Array("WAVEfmt ".utf8)
        le(16, 4); le(1, 2); le(1, 2); le(rate, 4); le(2 * rate, 4); le(2, 2); le(16, 2)
        bytes += Array("data".utf8); le(2 * count, 4)
        for n in 0..<count { le(Int(9000 * sin(2 * Double.pi * frequency * Double(n) / Double(rate))), 2) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Seconds of audio in the file.
    static func duration(_ path: String) throws -> Double { try AudioAnalysis.duration(path) }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Every media suite runs inside this one, one test at a time: each test runs several real-time WebRTC graphs, and
/// two of them at once on a small machine would starve the audio they measure.
@Suite("Simulator media", .serialized)
struct SimulatorMediaTests {}
