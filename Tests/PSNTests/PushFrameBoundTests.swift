import Foundation
import PSN
import PartyBusCore
import Testing

/// The raw copy of a push frame kept in `push.frame_received` is bounded: a frame past the bound keeps its first
/// `maxKeptBytes` (cut at a character) and says how long it was, and the translation still sees the whole frame.
@Suite("Push frame copies are bounded")
struct PushFrameBoundTests {
    /// A 3001 frame for an unknown dataType whose body carries `filler`.
    static func frame(filler: String) -> String {
        #"{"version":"3.0","method":3001,"dataType":"psn:sessionManager:sys:v2:ps:something:new","body":{"data":{"sessionId":"11111111-1111-4111-8111-111111111111","note":""#
            + filler + #""}}}"#
    }

    @Test("a frame under the bound is kept byte for byte, with no truncation mark")
    func smallFrameKept() throws {
        let text = Self.frame(filler: String(repeating: "a", count: 1000))
        let drafts = PushTranslator().drafts(forFrame: text, state: PartyProjection(), source: .sim)
        let raw = try #require(drafts.first).decode(PushFrameReceived.self)
        #expect(raw.text == text)
        #expect(raw.truncatedFrom == nil)
        #expect(!String(decoding: try #require(drafts.first).payload, as: UTF8.self).contains("truncatedFrom"))
    }

    @Test("a frame over the bound keeps its first 64 KiB cut at a character, and its full length", arguments: [0, 1, 2, 3])
    func bigFrameCut(offset: Int) throws {
        // Multi-byte characters (4 bytes each) straddle the bound at every offset.
        let filler = String(repeating: "a", count: offset) + String(repeating: "🎧", count: 40_000)
        let text = Self.frame(filler: filler)
        let drafts = PushTranslator().drafts(forFrame: text, state: PartyProjection(), source: .sim)
        #expect(drafts.map(\.type) == ["push.frame_received"], "an unknown dataType is kept raw only")
        let raw = try #require(drafts.first).decode(PushFrameReceived.self)
        #expect(raw.truncatedFrom == text.utf8.count)
        #expect(raw.text.utf8.count <= PushFrameReceived.maxKeptBytes)
        #expect(raw.text.utf8.count > PushFrameReceived.maxKeptBytes - 4)
        #expect(text.hasPrefix(raw.text), "the kept text is the frame's beginning, no character broken")
        #expect(raw.dataType == "psn:sessionManager:sys:v2:ps:something:new")
        #expect(try #require(drafts.first).payload.count < PushFrameReceived.maxKeptBytes + 1024)
    }
}

extension EventDraft {
    fileprivate func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(type, from: payload) }
}
