import Foundation
import PartyBusPluginAPI

/// A recording in progress: one Ogg Opus track per speaker (created at their first packet), our mic, the mix, all
/// with sample 0 at `startMonotonic`. Only touched on the plugin's actor.
final class ActiveRecording {
    let id: String
    let sessionId: String
    let folder: URL
    let startMonotonic: Int64
    private(set) var manifest: RecordingManifest
    private var speakers: [String: OggOpusTrack] = [:]
    private var mic: OggOpusTrack?
    private var mix: WAVTrack?
    private var serials: UInt32
    var subscriptions: [VoiceTapSubscription] = []
    /// The latest time a tap buffer played at: padding follows the buffers handled, not the wall clock, so buffers
    /// still queued when the plugin runs late are never overtaken by silence.
    private var latestSeen: Int64?

    /// A track that was just created, for `record.track_added`.
    struct NewTrack { var kind: String; var path: String; var accountId: String?; var onlineId: String?; var firstAudioMs: Int64 }

    init(id: String, sessionId: String, partyName: String?, folder: URL, startedAt: Int64, startMonotonic: Int64) throws {
        self.id = id
        self.sessionId = sessionId
        self.folder = folder
        self.startMonotonic = startMonotonic
        serials = UInt32(truncatingIfNeeded: startMonotonic)
        try PrivateFolder.create(folder)
        manifest = RecordingManifest(id: id, sessionId: sessionId, partyName: partyName, startedAt: startedAt, state: .recording, tracks: [])
        try manifest.write(in: folder)
    }

    /// Sample (48 kHz) of the recording at monotonic time `ns`.
    func position(_ ns: Int64?) -> Int64? {
        ns.map { ($0 - startMonotonic) * 48 / 1_000_000 }
    }

    /// Takes one tap buffer; returns the track it created, if any.
    func receive(_ buffer: VoiceTapBuffer, onlineId: (String) -> String?) throws -> NewTrack? {
        // A buffer cannot have played after now: a timestamp from the future (a peer's clock mapping gone wrong) is
        // taken as now, so no track runs ahead of the recording's real length.
        let played = buffer.monotonicNanoseconds.map { min($0, VoiceTapBuffer.monotonicNow()) }
        let at = position(played)
        if let time = played { latestSeen = max(latestSeen ?? time, time) }
        switch buffer.tap {
        case .peerPackets:
            guard let peer = buffer.peer else { return nil }
            var created: NewTrack?
            if speakers[peer] == nil {
                let name = "speaker-\(Self.safe(peer)).opus"
                let online = onlineId(peer)
                speakers[peer] = try newOpusTrack(name, first: buffer.bytes, comments: ["ACCOUNT_ID=\(peer)"] + (online.map { ["ONLINE_ID=\($0)"] } ?? []))
                created = track(kind: "speaker", file: name, accountId: peer, onlineId: online, at: at)
            }
            try speakers[peer]?.append(buffer.bytes, at: at)
            return created
        case .mic:
            var created: NewTrack?
            if mic == nil {
                mic = try newOpusTrack("mic.opus", first: buffer.bytes, comments: ["TRACK=mic"])
                created = track(kind: "mic", file: "mic.opus", accountId: nil, onlineId: nil, at: at)
            }
            try mic?.append(buffer.bytes, at: at)
            return created
        case .mix:
            guard let mono = Self.mono(buffer) else { return nil }
            var created: NewTrack?
            if mix == nil {
                mix = try WAVTrack(path: folder.appendingPathComponent("mix.wav").path)
                created = track(kind: "mix", file: "mix.wav", accountId: nil, onlineId: nil, at: at)
            }
            try mix?.append(mono, at: at)
            return created
        case .peerAudio:
            return nil
        }
    }

    private func newOpusTrack(_ name: String, first: [UInt8], comments: [String]) throws -> OggOpusTrack {
        serials &+= 1
        return try OggOpusTrack(
            path: folder.appendingPathComponent(name).path, channels: OpusPackets.isStereo(first) ? 2 : 1,
            comments: comments + ["RECORDING=\(id)", "START_MS=\(manifest.startedAt)"], serial: serials)
    }

    private func track(kind: String, file: String, accountId: String?, onlineId: String?, at: Int64?) -> NewTrack {
        let firstMs = max((at ?? 0) / 48, 0)
        manifest.tracks.append(.init(kind: kind, file: file, accountId: accountId, onlineId: onlineId, firstAudioMs: firstMs))
        try? manifest.write(in: folder)
        return NewTrack(kind: kind, path: folder.appendingPathComponent(file).path, accountId: accountId, onlineId: onlineId, firstAudioMs: firstMs)
    }

    /// Every track gets silence up to `lagging` behind the latest buffer handled (a speaker who went quiet stays
    /// aligned) and its pending audio written as a page: nothing older than this tick stays only in memory.
    func tick(nowMonotonic: Int64, lagging: Int64 = 1_000_000_000) throws {
        if let latest = latestSeen, let target = position(min(latest, nowMonotonic) - lagging) {
            for track in speakers.values { try track.fillSilence(upTo: target) }
            try mic?.fillSilence(upTo: target)
            try mix?.fillSilence(upTo: target)
        }
        for track in speakers.values { try track.flush() }
        try mic?.flush()
        try mix?.flush()
    }

    /// Bytes written so far.
    var bytes: Int64 {
        speakers.values.reduce(0) { $0 + $1.file.size } + (mic?.file.size ?? 0) + (mix?.file.size ?? 0)
    }

    /// Seconds since the start.
    func elapsed(nowMonotonic: Int64) -> Double { Double(nowMonotonic - startMonotonic) / 1e9 }

    /// Tap buffers dropped so far.
    var dropped: Int { subscriptions.reduce(0) { $0 + $1.dropped } }

    /// Ends every track and saves the manifest.
    func finish(reason: String, endedAt: Int64) -> (manifest: RecordingManifest, problems: [String]) {
        for subscription in subscriptions { subscription.cancel() }
        var problems: [String] = []
        // Every track ends where the longest one does, so they all have one length as well as one start.
        let end = max(speakers.values.map(\.samples).max() ?? 0, mic?.samples ?? 0, mix?.samples ?? 0)
        do {
            for track in speakers.values { try track.fillSilence(upTo: end) }
            try mic?.fillSilence(upTo: end)
            try mix?.fillSilence(upTo: end)
        } catch {
            problems.append("\(error)")
        }
        for track in speakers.values { do { try track.finish() } catch { problems.append("\(error)") } }
        if let mic { do { try mic.finish() } catch { problems.append("\(error)") } }
        if let mix { do { try mix.finish() } catch { problems.append("\(error)") } }
        for index in manifest.tracks.indices {
            let measured = RecordingRepair.measure(folder.appendingPathComponent(manifest.tracks[index].file).path)
            manifest.tracks[index].durationSeconds = measured?.seconds
            manifest.tracks[index].bytes = measured?.bytes
        }
        manifest.state = .saved
        manifest.reason = reason
        manifest.endedAt = endedAt
        manifest.durationSeconds = manifest.tracks.compactMap(\.durationSeconds).max() ?? 0
        manifest.bytes = manifest.tracks.compactMap(\.bytes).reduce(0, +)
        manifest.droppedBuffers = dropped
        do { try manifest.write(in: folder) } catch { problems.append("\(error)") }
        return (manifest, problems)
    }

    /// The buffer as 48 kHz mono S16 (channels averaged; another rate is resampled to the nearest sample).
    static func mono(_ buffer: VoiceTapBuffer) -> [Int16]? {
        let bytes = buffer.bytes
        var frames: [Double] = []
        let rate: Int
        switch buffer.format {
        case .s16le(let r, let channels):
            guard channels > 0, r > 0 else { return nil }
            rate = r
            let count = bytes.count / (2 * channels)
            frames.reserveCapacity(count)
            for frame in 0..<count {
                var sum = 0.0
                for channel in 0..<channels {
                    let at = (frame * channels + channel) * 2
                    sum += Double(Int16(bitPattern: UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8))
                }
                frames.append(sum / Double(channels))
            }
        case .f32le(let r, let channels):
            guard channels > 0, r > 0 else { return nil }
            rate = r
            let count = bytes.count / (4 * channels)
            frames.reserveCapacity(count)
            for frame in 0..<count {
                var sum = 0.0
                for channel in 0..<channels {
                    let at = (frame * channels + channel) * 4
                    let bits = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
                    sum += Double(Float(bitPattern: bits)) * 32767
                }
                frames.append(sum / Double(channels))
            }
        case .opus:
            return nil
        }
        let clamp = { (value: Double) in Int16(max(-32768, min(32767, value.rounded()))) }
        if rate == 48_000 { return frames.map(clamp) }
        let count = frames.count * 48_000 / rate
        return (0..<count).map { clamp(frames[min($0 * rate / 48_000, frames.count - 1)]) }
    }

    /// An account id as a file name.
    static func safe(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "_" })
    }
}
