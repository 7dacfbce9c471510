import AutoRecord
import Dispatch
import Foundation
import Voice

/// Cooks a recording with GStreamer into one file: the speakers' Opus packets decoded and mixed (`wav`, `flac`,
/// `mp3`, `opus`), the live party mix as recorded (`mix`, FLAC), or a zip of every track as its own aligned FLAC
/// (`zip`; every track starts at the recording's start, so they line up in any editor).
enum RecordingExporter {
    /// The formats, as `--format` spells them.
    static let formats = ["flac", "wav", "mp3", "opus", "mix", "zip"]

    /// The file name of an export.
    static func fileName(id: String, format: String) -> String {
        switch format {
        case "mix": return "\(id)-mix.flac"
        case "opus": return "\(id).ogg"
        default: return "\(id).\(format)"
        }
    }

    /// Cooks `manifest`'s tracks (in `folder`) as `format` into `output`. Runs GStreamer off the cooperative pool.
    static func export(_ manifest: RecordingManifest, folder: URL, format: String, output: URL) async throws {
        let opusTracks = manifest.tracks.filter { $0.kind != "mix" }.map { folder.appendingPathComponent($0.file).path }
        switch format {
        case "wav", "flac", "mp3", "opus":
            guard !opusTracks.isEmpty else { throw ControlAPIError.conflict("recording \(manifest.id) has no speaker or mic track to mix") }
            try await run(mixed(opusTracks, encoder: encoder(format), output: output.path))
        case "mix":
            guard let mix = manifest.tracks.first(where: { $0.kind == "mix" }) else {
                throw ControlAPIError.conflict("recording \(manifest.id) has no mix track (options.mix was off)")
            }
            try await run("filesrc location=\(quoted(folder.appendingPathComponent(mix.file).path)) ! wavparse ! audioconvert ! flacenc ! filesink location=\(quoted(output.path))")
        case "zip":
            let scratch = output.deletingLastPathComponent().appendingPathComponent(".\(manifest.id)-zip")
            try? FileManager.default.removeItem(at: scratch)
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: scratch) }
            var entries: [(name: String, path: String)] = []
            for track in manifest.tracks {
                let name = (track.kind == "speaker" ? (track.onlineId ?? track.accountId ?? track.file) : track.kind) + ".flac"
                let path = scratch.appendingPathComponent(name).path
                let source = folder.appendingPathComponent(track.file).path
                let decode = track.file.hasSuffix(".wav") ? "wavparse" : "oggdemux ! opusdec"
                try await run("filesrc location=\(quoted(source)) ! \(decode) ! audioconvert ! flacenc ! filesink location=\(quoted(path))")
                entries.append((name, path))
            }
            try StoredZip.write(entries, to: output)
        default:
            throw ControlAPIError.badRequest("format '\(format)': use one of \(formats.joined(separator: ", "))")
        }
    }

    private static func encoder(_ format: String) -> String {
        switch format {
        case "wav": return "wavenc"
        case "flac": return "flacenc"
        case "mp3": return "lamemp3enc target=bitrate bitrate=128 cbr=true ! id3v2mux"
        default: return "audioresample ! opusenc bitrate=64000 ! oggmux"
        }
    }

    /// Every track decoded, mixed (they all start at the recording's start), mono 48 kHz, then encoded.
    private static func mixed(_ tracks: [String], encoder: String, output: String) -> String {
        // One caps filter only: gst-launch syntax does not take two in a row. S16 suits every encoder here.
        var parts = ["audiomixer name=m ! audioconvert ! audio/x-raw,format=S16LE,channels=1,rate=48000 ! \(encoder) ! filesink location=\(quoted(output))"]
        for track in tracks {
            parts.append("filesrc location=\(quoted(track)) ! oggdemux ! opusdec ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! m.")
        }
        return parts.joined(separator: "  ")
    }

    private static func quoted(_ path: String) -> String {
        "\"" + path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Builds and plays a pipeline to its end (at most 10 minutes), on a dispatch thread.
    private static func run(_ description: String) async throws {
        let pipeline = try GraphPipeline(description: description)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async { continuation.resume(with: Result { try pipeline.play() }) }
        }
        do {
            try await pipeline.waitForEnd(timeout: .seconds(600))
        } catch {
            throw ControlAPIError(status: 500, message: "cooking failed: \(error)")
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { _ = pipeline; continuation.resume() }
        }
    }
}

/// A zip archive with stored (uncompressed) entries — the tracks inside are FLAC already.
enum StoredZip {
    static func write(_ entries: [(name: String, path: String)], to output: URL) throws {
        var archive = Data()
        var central = Data()
        for (name, path) in entries {
            let body = try Data(contentsOf: URL(fileURLWithPath: path))
            guard body.count < Int(UInt32.max) else { throw ControlAPIError(status: 500, message: "\(name) is too large for a zip") }
            let crc = crc32(body)
            let nameBytes = Data(name.utf8)
            let offset = UInt32(archive.count)
            archive += le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
            archive += le32(crc) + le32(UInt32(body.count)) + le32(UInt32(body.count)) + le16(UInt16(nameBytes.count)) + le16(0)
            archive += nameBytes + body
            central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
            central += le32(crc) + le32(UInt32(body.count)) + le32(UInt32(body.count)) + le16(UInt16(nameBytes.count))
            central += le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + nameBytes
        }
        let start = UInt32(archive.count)
        archive += central
        archive += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(entries.count)) + le16(UInt16(entries.count))
        archive += le32(UInt32(central.count)) + le32(start) + le16(0)
        guard FileManager.default.createFile(atPath: output.path, contents: archive, attributes: [.posixPermissions: 0o600]) else {
            throw ControlAPIError(status: 500, message: "cannot write the export \(output.lastPathComponent) (disk full or folder not writable?)")
        }
    }

    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 != 0 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1 }
        return value
    }

    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = (crc >> 8) ^ table[Int((crc ^ UInt32(byte)) & 0xFF)] }
        return crc ^ 0xFFFF_FFFF
    }

    private static func le16(_ value: UInt16) -> Data { Data([UInt8(value & 0xFF), UInt8(value >> 8)]) }
    private static func le32(_ value: UInt32) -> Data { Data((0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) }) }
}
