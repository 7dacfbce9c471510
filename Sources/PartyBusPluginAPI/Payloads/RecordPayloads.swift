/// A track as `record.saved` reports it.
public struct RecordTrackSummary: Codable, Sendable, Equatable {
    /// `speaker`, `mic` or `mix`.
    public var kind: String
    /// Its file.
    public var path: String
    /// The member (speakers).
    public var accountId: String?
    /// Seconds of audio.
    public var durationSeconds: Double
    /// Bytes.
    public var bytes: Int64
    /// Makes the summary.
    public init(kind: String, path: String, accountId: String?, durationSeconds: Double, bytes: Int64) {
        self.kind = kind
        self.path = path
        self.accountId = accountId
        self.durationSeconds = durationSeconds
        self.bytes = bytes
    }
}

/// `record.started`: AutoRecord began recording a party (its triggers held and every member was allowed).
public struct RecordStarted: EventPayload, Equatable {
    public static let eventType = "record.started"
    /// The recording's id.
    public var id: String
    /// The party.
    public var sessionId: String
    /// The party's name.
    public var partyName: String?
    /// The recording's folder.
    public var path: String
    /// Which trigger held (`always`, `minMembers`, `accounts`, `partyName`).
    public var trigger: String
    /// Makes the payload.
    public init(id: String, sessionId: String, partyName: String?, path: String, trigger: String) {
        self.id = id
        self.sessionId = sessionId
        self.partyName = partyName
        self.path = path
        self.trigger = trigger
    }
}

/// `record.track_added`: a track's file was created (a speaker's first packet, our mic, the mix).
public struct RecordTrackAdded: EventPayload, Equatable {
    public static let eventType = "record.track_added"
    /// The recording's id.
    public var id: String
    /// `speaker`, `mic` or `mix`.
    public var kind: String
    /// The file.
    public var path: String
    /// The member (speakers).
    public var accountId: String?
    /// Their online id, when known.
    public var onlineId: String?
    /// When its first audio came, ms after the recording's start (the file starts at the recording's start).
    public var firstAudioMs: Int64
    /// Makes the payload.
    public init(id: String, kind: String, path: String, accountId: String?, onlineId: String?, firstAudioMs: Int64) {
        self.id = id
        self.kind = kind
        self.path = path
        self.accountId = accountId
        self.onlineId = onlineId
        self.firstAudioMs = firstAudioMs
    }
}

/// `record.saved`: a recording was finished (or, `recovered`, closed on the next start after a crash).
public struct RecordSaved: EventPayload, Equatable {
    public static let eventType = "record.saved"
    /// The recording's id.
    public var id: String
    /// The party.
    public var sessionId: String
    /// The recording's folder.
    public var path: String
    /// Why it ended: `left`, `voice stopped`, `party deleted`, `shutdown`, `limit: duration`, `limit: bytes`,
    /// `limit: free disk`, `not allowed: <member>`, `crash` (recovered).
    public var reason: String
    /// Seconds (the longest track).
    public var durationSeconds: Double
    /// Bytes of every track.
    public var bytes: Int64
    /// The tracks.
    public var tracks: [RecordTrackSummary]
    /// Closed on the next start after the process died while recording.
    public var recovered: Bool
    /// Bytes of torn pages cut off while recovering.
    public var truncatedBytes: Int
    /// Tap buffers dropped because the recorder fell behind.
    public var droppedBuffers: Int
    /// Makes the payload.
    public init(id: String, sessionId: String, path: String, reason: String, durationSeconds: Double, bytes: Int64,
                tracks: [RecordTrackSummary], recovered: Bool = false, truncatedBytes: Int = 0, droppedBuffers: Int = 0) {
        self.id = id
        self.sessionId = sessionId
        self.path = path
        self.reason = reason
        self.durationSeconds = durationSeconds
        self.bytes = bytes
        self.tracks = tracks
        self.recovered = recovered
        self.truncatedBytes = truncatedBytes
        self.droppedBuffers = droppedBuffers
    }
}

/// `record.failed`: recording could not start or could not go on (no voice taps, a write error, a recording left
/// by a crash that could not be repaired).
public struct RecordFailed: EventPayload, Equatable {
    public static let eventType = "record.failed"
    /// The recording's id, when one was begun.
    public var id: String?
    /// The party, when known.
    public var sessionId: String?
    /// The folder or file concerned.
    public var path: String?
    /// What went wrong.
    public var message: String
    /// Makes the payload.
    public init(id: String?, sessionId: String?, path: String?, message: String) {
        self.id = id
        self.sessionId = sessionId
        self.path = path
        self.message = message
    }
}

/// `record.refused`: the triggers held but recording was refused (`record.allow`: a member is not on the list).
public struct RecordRefused: EventPayload, Equatable {
    public static let eventType = "record.refused"
    /// The party.
    public var sessionId: String
    /// Why (`not allowed: <member>`).
    public var reason: String
    /// Makes the payload.
    public init(sessionId: String, reason: String) {
        self.sessionId = sessionId
        self.reason = reason
    }
}

/// `record.removed`: retention deleted a recording (`older than N days`, `total over N bytes`).
public struct RecordRemoved: EventPayload, Equatable {
    public static let eventType = "record.removed"
    /// The recording's id.
    public var id: String
    /// Why.
    public var reason: String
    /// Bytes freed.
    public var bytes: Int64
    /// Makes the payload.
    public init(id: String, reason: String, bytes: Int64) {
        self.id = id
        self.reason = reason
        self.bytes = bytes
    }
}
