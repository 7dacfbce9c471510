public import Foundation
import PartyBusPluginAPI

/// `recording.json`, beside a recording's tracks: what was recorded, when, and whether it was finished. Written
/// atomically (0600) when the recording starts, when a track is added and when it ends.
public struct RecordingManifest: Codable, Sendable, Equatable {
    /// `recording` (open; a crash leaves it so), `saved`, `failed`.
    public enum State: String, Codable, Sendable { case recording, saved, failed }

    /// One track.
    public struct Track: Codable, Sendable, Equatable {
        /// `speaker` (a member's Opus packets as received), `mic` (ours as sent), `mix` (the party mix, PCM).
        public var kind: String
        /// The file name inside the recording's folder.
        public var file: String
        /// The member's account id (speakers).
        public var accountId: String?
        /// The member's online id, when known.
        public var onlineId: String?
        /// When its first audio came, ms after the recording's start (the file itself starts at 0, in silence).
        public var firstAudioMs: Int64?
        /// Seconds of audio in the file (known once saved).
        public var durationSeconds: Double?
        /// Bytes (known once saved).
        public var bytes: Int64?
        /// Makes a track entry.
        public init(kind: String, file: String, accountId: String? = nil, onlineId: String? = nil, firstAudioMs: Int64? = nil) {
            self.kind = kind
            self.file = file
            self.accountId = accountId
            self.onlineId = onlineId
            self.firstAudioMs = firstAudioMs
        }
    }

    /// The recording's id (its folder's name).
    public var id: String
    /// The party.
    public var sessionId: String
    /// The party's name when it started.
    public var partyName: String?
    /// Start, ms since 1970 (sample 0 of every track).
    public var startedAt: Int64
    /// End, ms since 1970.
    public var endedAt: Int64?
    /// State.
    public var state: State
    /// Why it ended (`left`, `voice stopped`, `shutdown`, `limit: duration` …).
    public var reason: String?
    /// The tracks.
    public var tracks: [Track]
    /// Seconds (known once saved).
    public var durationSeconds: Double?
    /// Bytes of every track (known once saved).
    public var bytes: Int64?
    /// Left open by a crash and closed (and repaired where needed) on the next start.
    public var recovered: Bool?
    /// Tap buffers the recorder could not keep up with (0 normally).
    public var droppedBuffers: Int?

    /// The file name.
    public static let fileName = "recording.json"

    /// Reads `<folder>/recording.json`.
    public static func read(in folder: URL) throws -> RecordingManifest {
        let url = folder.appendingPathComponent(fileName)
        do {
            return try JSONDecoder().decode(RecordingManifest.self, from: Data(contentsOf: url))
        } catch {
            throw PluginError("\(url.path): not a recording manifest (\(error))")
        }
    }

    /// Writes it atomically into `folder`.
    public func write(in folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try PrivateFolder.write(try encoder.encode(self), to: folder.appendingPathComponent(Self.fileName))
    }
}
