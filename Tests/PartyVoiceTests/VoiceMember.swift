import Foundation
import PSN
import PSNSimulator
import PSNTestSupport
import PartyBusCore
import PartyBusTestSupport
import PartyVoice
import Voice

/// One PartyBus client with voice on the headless graph (a tone as the mic, the party mix to a WAV file), signed
/// in to the simulator with its push socket up.
final class VoiceMember: Sendable {
    let harness: ClientHarness
    let voice: PartyVoice
    let output: String
    let account: SimulatedAccount
    private let running: Task<Void, Never>
    private let push: Task<Void, Never>

    static let headlessGraph = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../pipelines/headless-test.yaml").standardized

    init(
        simulator: PSNSimulator, account: SimulatedAccount, tone: Int, bridge: Bool = false, graph: URL = VoiceMember.headlessGraph
    ) async throws {
        harness = try ClientHarness(simulator: simulator)
        self.account = account
        output = harness.dir.path("mix.wav")
        try await harness.client.tokens.signIn(npsso: Secret(account.npsso))
        push = harness.startPush().1
        _ = try await harness.waitForPush(simulator, account: account)
        let options = PartyVoiceOptions(
            graphFile: graph, variables: ["test.tone": String(tone), "test.output": output],
            peer: PeerSettings(localAddresses: ["127.0.0.1"]), bridge: bridge,
            bridgeLinkDelay: .milliseconds(100), bridgePeerDelay: .milliseconds(100),
            offerFallbackDelay: .seconds(3), reloadInterval: .milliseconds(200))
        voice = PartyVoice(
            client: harness.client, log: harness.log, parties: harness.projection, options: options, autoStart: true,
            source: .sim, logger: harness.memory.logger())
        let voice = self.voice
        let from = harness.log.head + 1
        running = Task { try? await voice.run(from: from) }
    }

    deinit {
        running.cancel()
        push.cancel()
    }

    /// Events of one type in this member's log.
    func events(_ type: String) throws -> [Event] { try harness.events(type) }

    /// Waits for an event of `type` whose payload text contains `text`.
    func waitFor(_ type: String, containing text: String = "", timeout: Duration = .seconds(20)) async throws -> Bool {
        try await eventually(timeout: timeout) { try events(type).contains { text.isEmpty || $0.payloadText.contains(text) } }
    }

    /// Stops voice so the WAV is complete.
    func stopVoice() async { await voice.stop(reason: "test over") }
}

/// WAV reading and Goertzel power (the same maths as VoiceTests).
enum Audio {
    static func mono(_ path: String) throws -> (samples: [Double], rate: Int) {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u16(_ at: Int) -> Int { Int(data[at]) | Int(data[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        var offset = 12, channels = 1, rate = 0, bits = 16
        var samples: [Double] = []
        while offset + 8 <= data.count {
            let id = String(decoding: data[offset..<offset + 4], as: UTF8.self)
            var size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt " {
                channels = max(u16(body + 2), 1); rate = u32(body + 4); bits = u16(body + 14)
            } else if id == "data" {
                if size == 0 || body + size > data.count { size = data.count - body }
                var at = body
                let frame = channels * bits / 8
                while at + frame <= body + size {
                    samples.append(Double(Int16(bitPattern: UInt16(u16(at)))) / 32768)
                    at += frame
                }
            }
            offset = body + size + (size % 2)
        }
        return (samples, rate)
    }

    static func power(_ frequency: Double, _ samples: ArraySlice<Double>, rate: Int) -> Double {
        guard !samples.isEmpty else { return 0 }
        let coefficient = 2 * cos(2 * Double.pi * frequency / Double(rate))
        var previous = 0.0, before = 0.0
        for sample in samples {
            let current = sample + coefficient * previous - before
            before = previous
            previous = current
        }
        return (previous * previous + before * before - coefficient * previous * before) / Double(samples.count)
    }

    /// Power of `frequency` in the last `seconds` of a WAV file.
    static func tail(_ path: String, _ frequency: Double, seconds: Double = 1) throws -> Double {
        let (samples, rate) = try mono(path)
        return power(frequency, samples.suffix(Int(seconds * Double(rate))), rate: rate)
    }
}
