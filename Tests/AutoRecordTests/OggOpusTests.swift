import Foundation
import PartyBusTestSupport
import Testing

@testable import AutoRecord

/// The hand-written Ogg writer against GStreamer's reader (oggdemux/opusdec, through gst-launch-1.0), granules, silence
/// across gaps, and the repair of a file cut mid-page.
@Suite("AutoRecord Ogg Opus tracks")
struct OggOpusTests {
    /// A real 20 ms Opus packet of a 440 Hz tone is not at hand without an encoder; the silence packet is a valid
    /// Opus packet, and CELT frames of other sizes are checked by their TOC only.
    @Test("TOC durations: SILK 20/40/60 ms, CELT 2.5–20 ms, code 1–3 frame counts")
    func durations() {
        #expect(OpusPackets.samples([0x08]) == 960)  // SILK NB 20 ms
        #expect(OpusPackets.samples([0x10]) == 1920)  // SILK NB 40 ms
        #expect(OpusPackets.samples([0x18]) == 2880)  // SILK NB 60 ms
        #expect(OpusPackets.samples([0xF8]) == 960)  // CELT FB 20 ms
        #expect(OpusPackets.samples([0xE0]) == 120)  // CELT FB 2.5 ms
        #expect(OpusPackets.samples([0xF9]) == 1920)  // two frames
        #expect(OpusPackets.samples([0xFB, 0x03]) == 2880)  // code 3, three frames
        #expect(OpusPackets.samples([0xFB]) == nil)
        #expect(OpusPackets.samples([]) == nil)
    }

    @Test("pages carry the right granules and CRCs; gaps become silence; a cut file is repaired to its last whole page")
    func writeGapAndRepair() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("t.opus")
        let track = try OggOpusTrack(path: path, channels: 1, comments: ["X=1"], serial: 7, pageSamples: 9600)
        // 1 s of packets from sample 0, then a 500 ms gap, then 1 s more.
        for index in 0..<50 { try track.append(OpusPackets.silence, at: Int64(index * 960)) }
        for index in 0..<50 { try track.append(OpusPackets.silence, at: Int64(72_000 + index * 960)) }
        #expect(track.samples == 72_000 + 48_000)
        #expect(track.silencePackets == 25)
        try track.finish()
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let pages = OggPage.scan(data)
        #expect(pages.first?.flags == OggPage.beginOfStream)
        #expect(pages.last?.flags == OggPage.endOfStream)
        #expect(pages.map(\.sequence) == (0..<UInt32(pages.count)).map { $0 })
        #expect(pages.last?.granule == Int64(120_000))
        #expect(pages.last.map { $0.offset + $0.length } == data.count)
        let decoded = try gstDuration(path)
        #expect(decoded.map { abs($0 - 2.5) < 0.05 } == true, "gst reads \(String(describing: decoded))")

        // Cut in the middle of the last page, drop its EOS: repair keeps the whole pages and ends the stream.
        let cut = Array(data[0..<(data.count - 10)])
        try Data(cut).write(to: URL(fileURLWithPath: path))
        let outcome = try RecordingRepair.repair(path)
        #expect(outcome.truncatedBytes > 0)
        let repaired = OggPage.scan([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(repaired.count == pages.count - 1)
        #expect(repaired.last.map { $0.flags & OggPage.endOfStream != 0 } == true)
        #expect(try gstDuration(path) != nil)
    }

    @Test("globs and triggers")
    func triggers() throws {
        #expect(Glob.matches("Raid*", "Raid night"))
        #expect(!Glob.matches("Raid*", "raid night"))
        #expect(Glob.matches("*night", "Raid night"))
        #expect(Glob.matches("R?id*", "Raid"))
        let party = PartyFold.Party(name: "Raid night", members: ["1": "me", "2": "sim-alice", "3": nil])
        func options(_ json: String) throws -> AutoRecordOptions { try JSONDecoder().decode(AutoRecordOptions.self, from: Data(json.utf8)) }
        #expect(try options("{}").firing(for: party) == "always")
        #expect(try options(#"{"trigger":{"minMembers":3}}"#).firing(for: party) == "minMembers")
        #expect(try options(#"{"trigger":{"minMembers":4}}"#).firing(for: party) == nil)
        #expect(try options(#"{"trigger":{"accounts":["sim-alice"]}}"#).firing(for: party) == "accounts")
        #expect(try options(#"{"trigger":{"accounts":["sim-bob"]}}"#).firing(for: party) == nil)
        #expect(try options(#"{"trigger":{"partyName":"Raid*","minMembers":2}}"#).firing(for: party) == "minMembers+partyName")
        #expect(try options(#"{"allow":["me","2"]}"#).disallowed(in: party) == "3")
        #expect(try options(#"{"allow":["me","2","3"]}"#).disallowed(in: party) == nil)
    }

    /// Decodes with GStreamer and returns the seconds of audio, nil when it does not decode.
    func gstDuration(_ path: String) throws -> Double? {
        let wav = path + ".wav"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gst-launch-1.0")
        process.arguments = ["-q", "filesrc", "location=\(path)", "!", "oggdemux", "!", "opusdec", "!", "audioconvert", "!",
                             "audio/x-raw,format=S16LE", "!", "wavenc", "!", "filesink", "location=\(wav)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return try AudioAnalysis.duration(wav)
    }
}
