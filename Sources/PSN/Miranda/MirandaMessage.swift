import Foundation

/// One `miranda:12` signalling message (psn-protocol.md D): an SDP offer or answer between two party members,
/// carried in a sessionManager customMessage as `ver=1.0, type=binary, body=<base64>` — a 44-byte header, then
/// `1/1/1\n` and a compact JSON object with sorted keys.
public struct MirandaMessage: Sendable, Equatable {
    /// `offer` or `answer`.
    public enum Kind: String, Sendable, Codable {
        case offer, answer
    }

    /// A member as the inner JSON names it: account id (decimal string) and platform code.
    public struct User: Sendable, Equatable, Codable {
        /// The account id, as decimal digits.
        public var accountId: String
        /// Platform code: 100001 = MOBILE_APP, 5 = PS5 (D, §0.4).
        public var platform: Int

        enum CodingKeys: String, CodingKey {
            case accountId = "account_id"
            case platform
        }

        /// Makes a user.
        public init(accountId: String, platform: Int) {
            self.accountId = accountId
            self.platform = platform
        }
    }

    /// Offer or answer.
    public var kind: Kind
    /// The sender.
    public var from: User
    /// The one recipient.
    public var to: User
    /// The sender's per-message counter.
    public var globalSequenceNumber: Int
    /// The complete SDP (CRLF line endings).
    public var sdp: String
    /// `"1"` in every capture (a string).
    public var sdpSequenceNumber: String

    /// Makes a message.
    public init(kind: Kind, from: User, to: User, globalSequenceNumber: Int, sdp: String, sdpSequenceNumber: String = "1") {
        self.kind = kind
        self.from = from
        self.to = to
        self.globalSequenceNumber = globalSequenceNumber
        self.sdp = sdp
        self.sdpSequenceNumber = sdpSequenceNumber
    }

    /// The literal envelope prefix (D.1).
    public static let prefix = "ver=1.0, type=binary, body="
    /// The text framing (D.3).
    static let framing = Array("1/1/1\n".utf8)
    /// Header size (D.2: 44 bytes, confirmed twice).
    static let headerSize = 44

    /// Platform codes of the REST platform names (§0.4); others are unknown.
    public static func platformCode(_ platform: String) -> Int? {
        ["MOBILE_APP": 100_001, "PS5": 5][platform]
    }
}

/// Why a `miranda:12` payload could not be encoded or decoded: the step of D.6 that failed.
public struct MirandaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong.
    public let message: String
    /// Makes an error.
    public init(_ message: String) { self.message = message }
    public var description: String { "miranda:12: \(message)" }
}
