import Foundation
import HTTPTypes
import Logging
import PSNSimulator
import Synchronization
import Testing

/// Hooks that record what the simulator reports and hand out a fixed bridge offer.
final class RecordingHooks: SimulatorMediaHooks {
    static let offer = "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n"
    let events = Mutex<[SimulatorMediaEvent]>([])
    let offerRequests = Mutex<[BridgeOfferRequest]>([])

    func handle(_ event: SimulatorMediaEvent, from simulator: PSNSimulator) async {
        events.withLock { $0.append(event) }
    }

    func bridgeOffer(_ request: BridgeOfferRequest) async -> String? {
        offerRequests.withLock { $0.append(request) }
        return Self.offer
    }
}

@Suite("Media hooks (SimulatorMediaHooks)")
struct MediaHooksTests {
    static func member(_ account: SimulatedAccount, scripted: Bool) -> SimulatorMediaMember {
        SimulatorMediaMember(accountId: account.accountId, onlineId: account.onlineId, platform: account.platform,
                             scripted: scripted)
    }

    @Test("party, customMessage and bridge operations reach the hooks in order, then .stopping; the bridge offer is the hooks'")
    func eventsInOrder() async throws {
        let hooks = RecordingHooks()
        var logger = Logger(label: "media-hooks-test")
        logger.logLevel = .warning
        let ids = try await PSNSimulator.withRunning(configuration: Fixture.configuration(), logger: logger,
                                                     mediaHooks: hooks) { simulator -> [String] in
            let c = try await SimClient(simulator)
            let a = try await c.signIn(Fixture.a)
            let sessionId = try await c.createParty(a.access)
            try simulator.perform(actor: "Bob_sim", action: "join",
                                  args: ["sessionId": .string(sessionId), "ignoreAccessControl": .bool(true)])
            try simulator.perform(actor: "Bob_sim", action: "customMessage",
                                  args: ["sessionId": .string(sessionId), "to": .array([.string("Alice_sim")])])
            let bridge = try #require(try await c.request(.post, "/api/rtcBridge/v1/bridges", headers: c.bearer(a.access), body: "{}").json?["bridge"])
            let bridgeId = try #require(bridge["bridgeId"]?.stringValue)
            let token = try #require(bridge["bridgeToken"]?.stringValue)
            var headers = c.bearer(a.access)
            headers[.init("X-PSN-BRIDGE-TOKEN")!] = token
            #expect(try await c.request(.post, "/api/sessionManager/v2/partySessions/\(sessionId)/bridges", headers: headers,
                                        body: #"{"bridges":[{"bridgeId":"\#(bridgeId)","bridgeToken":"\#(token)"}]}"#).status == 201)
            let added = try await c.request(.post, "/api/rtcBridge/v1/bridges/\(bridgeId)/peers", headers: headers,
                                            body: #"{"mediaTypes":{"audio":{"isRequired":true}}}"#)
            #expect(added.status == 201)
            #expect(added.json?["peer"]?["offer"]?["sdp"] == .string(RecordingHooks.offer))
            let peerId = try #require(added.json?["peer"]?["peerId"]?.stringValue)
            let reoffer = try await c.request(.post, "/api/rtcBridge/v1/bridges/\(bridgeId)/peers/\(peerId)/offer",
                                              headers: headers, body: #"{"mediaTypes":{}}"#)
            #expect(reoffer.json?["offer"]?["sdp"] == .string(RecordingHooks.offer))
            #expect(try await c.request(.delete, "/api/rtcBridge/v1/bridges/\(bridgeId)/peers/\(peerId)", headers: headers).status == 202)
            try simulator.perform(actor: "Bob_sim", action: "leave", args: ["sessionId": .string(sessionId)])
            #expect(try await c.leave(a.access, sessionId).status == 204)
            return [sessionId, bridgeId, peerId]
        }
        let (sessionId, bridgeId, peerId) = (ids[0], ids[1], ids[2])
        let alice = Self.member(Fixture.a, scripted: false), bob = Self.member(Fixture.b, scripted: true)
        let events = hooks.events.withLock { $0 }
        #expect(events.count == 7)
        guard events.count == 7 else { return }
        #expect(events[0] == .memberJoined(sessionId: sessionId, joiner: bob, existing: [alice]))
        guard case .customMessage(sessionId, bob, [alice], "miranda:12", let payload) = events[1] else {
            Issue.record("expected Bob's customMessage, got \(events[1])")
            return
        }
        #expect(try MirandaMessage(envelope: payload).from.accountId == Fixture.b.accountId)
        #expect(events[2] == .bridgePeerDeleted(bridgeId: bridgeId, peerId: peerId))
        #expect(events[3] == .memberLeft(sessionId: sessionId, member: bob, remaining: [alice]))
        #expect(events[4] == .bridgeDeleted(bridgeId: bridgeId), "leaving deletes the leaver's bridge")
        #expect(events[5] == .memberLeft(sessionId: sessionId, member: alice, remaining: []))
        #expect(events[6] == .stopping)
        let requests = hooks.offerRequests.withLock { $0 }
        #expect(requests.map(\.renegotiation) == [false, true])
        #expect(requests.first?.sessionId == sessionId)
        #expect(requests.first?.ownerAccountId == Fixture.a.accountId)
    }
}
