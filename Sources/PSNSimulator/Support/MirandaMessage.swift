/// Why a `miranda:12` payload is not a usable offer/answer message (the envelope itself failed, or the inner JSON
/// lacks what D.4 says it has).
public enum MirandaMessageError: Error, Sendable, Equatable {
    /// The envelope or binary layout is wrong (D.6).
    case payload(MirandaDecodingError)
    /// The inner JSON has no usable value for this key (D.4).
    case field(String)
}

/// The signalling content of one `miranda:12` payload (psn-protocol.md D.4): an SDP offer or answer from one user
/// to one user. `envelope` encodes it exactly as D.6 says (sorted compact JSON, 44-byte header, `1/1/1\n`);
/// `init(envelope:)` decodes one leniently (extra keys are ignored, `medias` / `users` may be missing).
public struct MirandaMessage: Sendable, Equatable {
    /// A `{account_id, platform}` pair (platform as the miranda code: 100001 MOBILE_APP, 5 PS5).
    public struct User: Sendable, Equatable {
        /// 19-digit account id (a JSON string).
        public var accountId: String
        /// Platform code.
        public var platform: UInt64

        /// Creates a user.
        public init(accountId: String, platform: UInt64) {
            self.accountId = accountId
            self.platform = platform
        }

        /// A user with the code of a REST platform string (`MobileApp`'s 100001 when the platform has no code).
        public init(accountId: String, restPlatform: String) {
            self.init(accountId: accountId, platform: MirandaPayload.platformCode(for: restPlatform) ?? 100_001)
        }

        var json: JSONValue {
            .object(["account_id": .string(accountId), "platform": .number(String(platform))])
        }
    }

    /// `offer` or `answer`.
    public var type: String
    /// The complete SDP (CRLF line endings).
    public var sdp: String
    /// The sender.
    public var from: User
    /// The single target peer.
    public var to: User
    /// The sender's per-sender message counter.
    public var globalSeqNum: Int
    /// `sdp_sequence_number` (a string; `"1"` in every capture).
    public var sdpSequenceNumber: String

    /// Creates a message.
    public init(type: String, sdp: String, from: User, to: User, globalSeqNum: Int, sdpSequenceNumber: String = "1") {
        self.type = type
        self.sdp = sdp
        self.from = from
        self.to = to
        self.globalSeqNum = globalSeqNum
        self.sdpSequenceNumber = sdpSequenceNumber
    }

    /// The inner JSON with D.4's keys in alphabetical order; `medias` and `users` name the sender as in the captures.
    public var json: JSONValue {
        .object([
            "from": from.json,
            "global_seq_num": .int(globalSeqNum),
            "medias": .array([
                .object([
                    "media_records": .array([
                        .object(["media_identifier": .string("voice_chat"), "mid": .string("0")])
                    ]),
                    "msids": .array([.string("0")]),
                    "user": from.json,
                ])
            ]),
            "sdp": .string(sdp),
            "sdp_sequence_number": .string(sdpSequenceNumber),
            "to": to.json,
            "type": .string(type),
            "users": .array([from.json]),
        ])
    }

    /// The REST / push `payload` string (D.6 encode: header sender = `from`).
    public var envelope: String {
        MirandaPayload.envelope(senderAccountId: UInt64(from.accountId) ?? 0, senderPlatformCode: from.platform,
                                jsonText: json.serialized)
    }

    /// Decodes a `payload` string (D.6) and reads `type`, `sdp`, `from`, `to`, `global_seq_num` and
    /// `sdp_sequence_number` from its JSON.
    public init(envelope: String) throws(MirandaMessageError) {
        let payload: MirandaPayload
        do { payload = try MirandaPayload.decode(envelope: envelope) } catch { throw .payload(error) }
        let json = payload.json
        guard let type = json["type"]?.stringValue else { throw .field("type") }
        guard let sdp = json["sdp"]?.stringValue else { throw .field("sdp") }
        guard let from = Self.user(json["from"]) else { throw .field("from") }
        guard let to = Self.user(json["to"]) else { throw .field("to") }
        self.init(type: type, sdp: sdp, from: from, to: to, globalSeqNum: json["global_seq_num"]?.intValue ?? 0,
                  sdpSequenceNumber: json["sdp_sequence_number"]?.stringValue ?? "1")
    }

    private static func user(_ value: JSONValue?) -> User? {
        guard let accountId = value?["account_id"]?.stringValue, case .number(let digits)? = value?["platform"],
            let platform = UInt64(digits)
        else { return nil }
        return User(accountId: accountId, platform: platform)
    }
}
