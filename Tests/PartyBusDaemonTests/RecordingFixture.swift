import Foundation

@testable import AutoRecord

/// A saved recording as AutoRecord leaves one: `<data>/plugins/recorder/recordings/<id>/` with a manifest and one
/// real Ogg Opus track (two seconds of Opus silence packets).
enum RecordingFixture {
    static func make(in data: URL) throws -> String {
        let id = "20261202-010000-000"
        let folder = data.appendingPathComponent("plugins/recorder/recordings/\(id)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let track = try OggOpusTrack(path: folder.appendingPathComponent("mic.opus").path, channels: 1, comments: [], serial: 1)
        for index in 0..<100 { try track.append(OpusPackets.silence, at: Int64(index * 960)) }
        try track.finish()
        var manifest = RecordingManifest(
            id: id, sessionId: "00000000-0000-0000-0000-000000000000", partyName: "fixture", startedAt: 1_795_000_000_000,
            state: .saved, tracks: [.init(kind: "mic", file: "mic.opus")])
        manifest.durationSeconds = 2.02
        manifest.endedAt = 1_795_000_002_000
        try manifest.write(in: folder)
        return id
    }
}
