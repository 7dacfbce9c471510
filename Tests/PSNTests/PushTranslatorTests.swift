import Foundation
import PSN
import PartyBusCore
import PSNTestSupport
import PartyBusTestSupport
import Testing

@Suite("Push frames")
struct PushTranslatorTests {
    /// The ten captured frames of psn-samples/websocket-frames-sample.json as the socket delivered them (E.5
    /// envelope), with the placeholders replaced by concrete ids.
    static func sampleFrames() throws -> [String] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/psn-samples/websocket-frames-sample.json").standardized
        var text = try String(contentsOf: url, encoding: .utf8)
        let replacements = [
            "<ACCOUNT_ID_A>": "1111111111111111111", "<ACCOUNT_ID_B>": "2222222222222222222",
            "<ACCOUNT_ID_C>": "3333333333333333333", "<ONLINE_ID_A>": "alice", "<ONLINE_ID_B>": "bob",
            "<ONLINE_ID_C>": "carol", "<PARTY_SESSION_ID_1>": "11111111-1111-4111-8111-111111111111",
            "<PARTY_SESSION_ID_2>": "22222222-2222-4222-8222-222222222222",
        ]
        for (placeholder, value) in replacements { text = text.replacingOccurrences(of: placeholder, with: value) }
        let frames = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        return try frames.map { frame in
            let envelope: [String: Any] = [
                "version": "3.0", "method": 3001, "dataType": frame["dataType"] as Any,
                "to": ["accountId": "1111111111111111111", "onlineId": "alice", "platform": "MOBILE_APP"],
                "body": frame["body"] as Any,
            ]
            return String(decoding: try JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    func run(_ frames: [String], into log: EventLog, state: inout PartyProjection) async throws -> [Event] {
        var appended: [Event] = []
        for frame in frames {
            for draft in PushTranslator().drafts(forFrame: frame, state: state, source: .sim) {
                let event = try await log.append(draft)
                state.apply(event)
                appended.append(event)
            }
        }
        return appended
    }

    @Test("the captured frames become raw events plus the party events they mean")
    func capturedFrames() async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"))
        let frames = try Self.sampleFrames()
        var state = PartyProjection()
        let events = try await run(frames, into: log, state: &state)
        #expect(events.filter { $0.type == "push.frame_received" }.count == frames.count)
        let raw = try events.first { $0.type == "push.frame_received" }!.decode(PushFrameReceived.self)
        #expect(raw.text == frames[0])
        let types = events.map(\.type).filter { $0.hasPrefix("party.") }
        #expect(types.contains("party.member_joined"))
        #expect(types.contains("party.member_updated"))
        #expect(types.contains("party.custom_message"))
        #expect(types.contains("party.deleted"))
        let party = "22222222-2222-4222-8222-222222222222"
        #expect(Set(state.members(of: party).map(\.accountId)) == ["1111111111111111111", "2222222222222222222"])
        // The projection folded from the log agrees with the one kept along the way.
        #expect(try PartyProjection.fold(log) == state)
    }

    @Test("membership frames seen again (an echo, a re-sent frame after a re-read) add no duplicate joins")
    func noDuplicates() async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"))
        let frames = try Self.sampleFrames().filter { !$0.contains("partySession:deleted") }
        var state = PartyProjection()
        _ = try await run(frames, into: log, state: &state)
        let again = try await run(frames, into: log, state: &state)
        #expect(!again.contains { $0.type == "party.member_joined" })
        #expect(again.filter { $0.type == "push.frame_received" }.count == frames.count)
    }

    @Test("garbage frames are kept as push.frame_rejected, never a crash")
    func garbage() throws {
        let translator = PushTranslator()
        for frame in ["", "not json", "[1,2]", #"{"method":3001}"#, #"{"method":3001,"dataType":"x","body":{"data":{}}}"#,
                      String(repeating: "{", count: 10_000)] {
            let drafts = translator.drafts(forFrame: frame, state: PartyProjection(), source: .live)
            #expect(drafts.contains { $0.type == "push.frame_rejected" }, "\(frame.prefix(40))")
        }
        let unknown = translator.drafts(
            forFrame: #"{"method":3001,"dataType":"psn:somethingNew:v9","body":{"data":{"sessionId":"s"}}}"#,
            state: PartyProjection(), source: .live)
        #expect(unknown.map(\.type) == ["push.frame_received"])
    }
}
