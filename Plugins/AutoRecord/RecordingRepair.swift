public import Foundation
import PartyBusPluginAPI

/// Closes a track a crash left open: an Ogg file is cut after its last page whose CRC holds and that page is
/// marked end-of-stream; a WAV file gets its sizes. Says what it did.
public enum RecordingRepair {
    /// What repairing one file did.
    public struct Outcome: Sendable, Equatable {
        /// Bytes cut off the end (a torn page).
        public var truncatedBytes: Int
        /// Seconds of audio left.
        public var seconds: Double
        /// Bytes left.
        public var bytes: Int64
    }

    /// Repairs `path` (an `.opus` or `.wav` track) in place.
    public static func repair(_ path: String) throws -> Outcome {
        let url = URL(fileURLWithPath: path)
        var data = [UInt8](try Data(contentsOf: url))
        if path.hasSuffix(".wav") {
            guard data.count >= 44 else { throw PluginError("\(path): too short for a WAV header") }
            let samples = (data.count - 44) / 2
            let cut = data.count - (44 + samples * 2)
            data = Array(data[0..<(44 + samples * 2)])
            data.replaceSubrange(0..<44, with: WAVTrack.header(dataBytes: UInt32(clamping: samples * 2)))
            try write(data, to: url)
            return Outcome(truncatedBytes: cut, seconds: Double(samples) / 48_000, bytes: Int64(data.count))
        }
        let pages = OggPage.scan(data)
        guard pages.count >= 2 else { throw PluginError("\(path): no complete Ogg Opus header (\(pages.count) valid pages)") }
        let last = pages[pages.count - 1]
        let end = last.offset + last.length
        let cut = data.count - end
        if last.flags & OggPage.endOfStream == 0 || cut > 0 {
            let page = OggPage.rewritten(Array(data[last.offset..<end]), flags: last.flags | OggPage.endOfStream)
            data = Array(data[0..<last.offset]) + page
            try write(data, to: url)
        }
        return Outcome(truncatedBytes: cut, seconds: Double(max(last.granule, 0)) / 48_000, bytes: Int64(data.count))
    }

    /// Seconds and bytes of a finished track.
    public static func measure(_ path: String) -> (seconds: Double, bytes: Int64)? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return nil }
        if path.hasSuffix(".wav") { return (Double(max(data.count - 44, 0) / 2) / 48_000, Int64(data.count)) }
        let granule = OggPage.scan([UInt8](data)).last?.granule ?? 0
        return (Double(max(granule, 0)) / 48_000, Int64(data.count))
    }

    private static func write(_ bytes: [UInt8], to url: URL) throws {
        try PrivateFolder.write(Data(bytes), to: url)
    }
}
