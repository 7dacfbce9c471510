import Foundation
import PSN
import PSNSimulator
import PSNTestSupport
import PartyBusCore
import PartyBusTestSupport
import PartyVoice
import Testing
import Voice

/// Offers never hang (docs/voice.md "When a peer fails"): an unanswered offer is withdrawn with `voice.peer_failed`,
/// made once more, and then nothing until the member changes.
@Suite("Party voice when a peer fails", .serialized)
struct PeerFailureTests {
    @Test("an offer nobody answers is withdrawn, made once more, then given up until the member rejoins")
    func unansweredOffer() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            // Alice signs in without voice: our offers to her are never answered.
            let me = try await VoiceMember(simulator: simulator, account: TestAccounts.me, tone: 660, offerTimeout: .seconds(1.5))
            let alice = try ClientHarness(simulator: simulator)
            try await alice.client.tokens.signIn(npsso: Secret(TestAccounts.alice.npsso))
            let aliceId = TestAccounts.alice.accountId
            let sessionId = try await me.harness.client.parties.create(name: "no answer")
            try await me.harness.client.parties.invite(sessionId, accountIds: [aliceId])
            try await alice.client.parties.join(sessionId)

            func offers() throws -> Int {
                try me.events("voice.peer_added").filter { $0.payloadText.contains(aliceId) && $0.payloadText.contains("offerer") }.count
            }
            func failures() throws -> [String] { try me.events("voice.peer_failed").map(\.payloadText) }
            #expect(try await eventually(timeout: .seconds(20)) { try failures().count >= 2 }, "\(me.voiceHistory())")
            let failed = try failures()
            #expect(failed.first?.contains("offer not answered within 1.5 s") == true && failed.first?.contains("\"retrying\":true") == true,
                    "\(failed)")
            #expect(failed.dropFirst().first?.contains("\"retrying\":false") == true, "\(failed)")
            #expect(try offers() == 2, "one offer, then one fresh offer\n\(me.voiceHistory())")
            // Given up: a re-read of the party (a snapshot) and more time bring no third offer.
            _ = try await me.harness.client.parties.get([sessionId])
            try await Task.sleep(for: .seconds(2))
            #expect(try offers() == 2, "no more offers until alice changes\n\(me.voiceHistory())")
            #expect(await me.voice.status().peers.isEmpty)

            // Alice leaves and rejoins: she is offered to again.
            try await alice.client.parties.leave(sessionId)
            try await me.harness.client.parties.invite(sessionId, accountIds: [aliceId])
            try await alice.client.parties.join(sessionId)
            #expect(try await eventually { try offers() == 3 }, "\(me.voiceHistory())")
            #expect(try me.events("voice.error").isEmpty, "\(me.voiceHistory())")
            await me.stopVoice()
        }
    }

    @Test("ICE that fails is withdrawn with voice.peer_failed (ICE failed), offered once more, then quiet until the member rejoins")
    func iceFailure() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            // Alice signs in without voice; each of our offers to her gets an answer whose only candidate is a UDP
            // socket on 127.0.0.1 that never replies: the answer is taken, ICE checks go nowhere and fail.
            let hole = try SilentUDPSocket()
            let me = try await VoiceMember(simulator: simulator, account: TestAccounts.me, tone: 660, offerTimeout: .seconds(120))
            let alice = try ClientHarness(simulator: simulator)
            try await alice.client.tokens.signIn(npsso: Secret(TestAccounts.alice.npsso))
            let alicePush = alice.startPush().1
            defer { alicePush.cancel() }
            #expect(try await alice.waitForPush(simulator, account: TestAccounts.alice))
            let aliceId = TestAccounts.alice.accountId
            let sessionId = try await me.harness.client.parties.create(name: "ice fails")
            try await me.harness.client.parties.invite(sessionId, accountIds: [aliceId])
            try await alice.client.parties.join(sessionId)

            func offers() throws -> Int {
                try me.events("voice.peer_added").filter { $0.payloadText.contains(aliceId) && $0.payloadText.contains("offerer") }.count
            }
            func failures() throws -> [String] { try me.events("voice.peer_failed").map(\.payloadText) }
            // Alice answers each offer she has received (over her push socket), as a member does: answering when
            // our peer was merely added raced webrtcbin still making the offer ("stable" state) on a slow CI.
            func offersReceived() throws -> Int {
                try alice.events(PartyCustomMessage.eventType).filter { $0.payloadText.contains(TestAccounts.me.accountId) }.count
            }
            var answered = 0
            func answerEachOffer() async throws {
                while try offersReceived() > answered {
                    answered += 1
                    let payload = try PSN.MirandaMessage(
                        kind: .answer, from: .init(accountId: aliceId, platform: 5),
                        to: .init(accountId: TestAccounts.me.accountId, platform: 100_001), globalSequenceNumber: answered,
                        sdp: Self.answerGoingNowhere(port: hole.port)).payload()
                    _ = try await me.harness.log.append(EventDraft(
                        stream: "party/\(sessionId)",
                        payload: PartyCustomMessage(sessionId: sessionId, channel: "miranda:12", payload: payload, fromAccountId: aliceId, fromPlatform: "PS5"),
                        source: .sim))
                }
            }
            let deadline = ContinuousClock.now + .seconds(150)
            while try failures().count < 2, ContinuousClock.now < deadline {
                try await answerEachOffer()
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try failures().count >= 2, "\(me.voiceHistory())")
            let failed = try failures()
            #expect(failed.first?.contains("ICE failed") == true && failed.first?.contains("\"retrying\":true") == true, "\(failed)")
            #expect(failed.dropFirst().first?.contains("ICE failed") == true && failed.dropFirst().first?.contains("\"retrying\":false") == true,
                    "\(failed)")
            #expect(try me.events("voice.peer_state").contains { $0.payloadText.contains(aliceId) && $0.payloadText.contains("\"failed\"") })
            #expect(try offers() == 2, "one offer, then one fresh offer\n\(me.voiceHistory())")
            // Given up: a re-read of the party and more time bring no third offer.
            _ = try await me.harness.client.parties.get([sessionId])
            try await Task.sleep(for: .seconds(2))
            #expect(try offers() == 2, "no more offers until alice changes\n\(me.voiceHistory())")
            #expect(await me.voice.status().peers.isEmpty)

            // Alice leaves and rejoins: she is offered to again.
            try await alice.client.parties.leave(sessionId)
            try await me.harness.client.parties.invite(sessionId, accountIds: [aliceId])
            try await alice.client.parties.join(sessionId)
            #expect(try await eventually { try offers() == 3 }, "\(me.voiceHistory())")
            #expect(try me.events("voice.error").isEmpty, "\(me.voiceHistory())")
            await me.stopVoice()
            withExtendedLifetime(hole) {}
        }
    }

    /// An answer in the app's shape (D.4) to our offer (mids 0 and 1, Opus at 96) whose ICE credentials belong to
    /// no agent and whose one candidate is `127.0.0.1:port`.
    static func answerGoingNowhere(port: Int) -> String {
        let fingerprint = (0..<32).map { String(format: "%02X", ($0 * 37 + 11) % 256) }.joined(separator: ":")
        return [
            "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
            "m=audio 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", "a=ice-ufrag:nowhere1", "a=ice-pwd:nowherenowherenowhere123",
            "a=fingerprint:sha-256 \(fingerprint)", "a=setup:active", "a=mid:0", "a=sendrecv", "a=rtcp-mux",
            "a=rtpmap:96 opus/16000/2", "a=fmtp:96 minptime=10;stereo=0;useinbandfec=1", "a=ptime:40",
            "a=candidate:1 1 UDP 2130706431 127.0.0.1 \(port) typ host",
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", "a=ice-ufrag:nowhere1",
            "a=ice-pwd:nowherenowherenowhere123", "a=fingerprint:sha-256 \(fingerprint)", "a=setup:active", "a=mid:1",
            "a=sctp-port:5000", "",
        ].joined(separator: "\r\n")
    }

    @Test("voice.offerTimeoutSeconds: a positive number of seconds, else 10 s")
    func offerTimeoutConfig() {
        #expect(PartyVoiceOptions.offerTimeout(fromConfig: .int(5)) == .seconds(5))
        #expect(PartyVoiceOptions.offerTimeout(fromConfig: .double(2.5)) == .milliseconds(2500))
        #expect(PartyVoiceOptions.offerTimeout(fromConfig: .string("7")) == .seconds(7))
        let bad: [PartyBusCore.JSONValue?] = [nil, .int(0), .int(-3), .double(.infinity), .string("soon"), .bool(true), .int(100_000)]
        for bad in bad {
            #expect(PartyVoiceOptions.offerTimeout(fromConfig: bad) == .seconds(10), "\(String(describing: bad))")
        }
    }
}

/// A UDP socket on 127.0.0.1 that receives and never answers (ICE checks sent to it go nowhere).
final class SilentUDPSocket: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw VoiceError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { close(fd); throw VoiceError("bind: errno \(errno)") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
