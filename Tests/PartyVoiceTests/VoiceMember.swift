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
        simulator: PSNSimulator, account: SimulatedAccount, tone: Int, bridge: Bool = false, graph: URL = VoiceMember.headlessGraph,
        offerTimeout: Duration = .seconds(10)
    ) async throws {
        harness = try ClientHarness(simulator: simulator)
        self.account = account
        output = harness.dir.path("mix.wav")
        try await harness.client.tokens.signIn(npsso: Secret(account.npsso))
        push = harness.startPush().1
        _ = try await harness.waitForPush(simulator, account: account)
        let options = PartyVoiceOptions(
            graphFile: graph, variables: ["test.tone": String(tone), "test.output": output],
            peer: PeerSettings(localAddresses: ["127.0.0.1"]), offerTimeout: offerTimeout, bridge: bridge,
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

    /// Every voice and party event so far, one per line (shown when an expectation fails): a member voice never
    /// offered to is often a member the party projection lost.
    func voiceHistory() -> String {
        ((try? harness.log.read(filter: EventFilter(types: ["voice.*", "party.*"]))) ?? [])
            .map { "\($0.type) \($0.payloadText.prefix(240))" }.joined(separator: "\n")
    }

    /// The media lines of every miranda:12 SDP received (kind, sender, direction and Opus lines), for failure reports.
    func receivedSDPs() -> String {
        ((try? harness.log.read(filter: EventFilter(types: [PartyCustomMessage.eventType]))) ?? []).compactMap { event in
            guard let message = try? event.decode(PartyCustomMessage.self), message.channel == "miranda:12",
                let miranda = try? MirandaMessage(payload: message.payload)
            else { return nil }
            let lines = miranda.sdp.split(whereSeparator: \.isNewline).filter {
                $0.hasPrefix("m=") || $0.hasPrefix("a=send") || $0.hasPrefix("a=recv") || $0.hasPrefix("a=inactive")
                    || $0.hasPrefix("a=rtpmap") || $0.hasPrefix("a=ssrc") || $0.hasPrefix("a=mid")
            }
            return "\(miranda.kind.rawValue) from \(miranda.from.accountId): " + lines.joined(separator: " | ")
        }.joined(separator: "\n")
    }

    /// Stops voice so the WAV is complete.
    func stopVoice() async { await voice.stop(reason: "test over") }
}
