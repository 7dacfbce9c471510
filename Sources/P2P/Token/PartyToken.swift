import Crypto
import Foundation

/// A party invitation: `pb1` + base32 of a small binary record (see docs/p2p.md "Party token").
///
/// Binary layout (version 1): version (1) · flags (1: the NAT byte — bits 0–1 the mapping, 2–3 the filtering,
/// `NATBehaviour`) · expiry, Unix seconds (4) ·
/// the inviter's X25519 public key (32) · the one-time invite secret (16) · candidates (7 bytes each for IPv4,
/// 19 for IPv6) · a 4-byte SHA-256 check (typos, not security). At most 160 characters: candidates that do not
/// fit are left out, relay first kept, then server-reflexive, then host.
public struct PartyToken: Sendable, Hashable {
    /// The text prefix: "pb" and the format version.
    public static let prefix = "pb1"
    /// The binary format version.
    public static let version: UInt8 = 1
    /// The longest token text.
    public static let maximumLength = 160
    /// How long a token is valid unless said otherwise.
    public static let defaultLifetime: Duration = .seconds(3600)

    /// When the token stops being accepted (both sides check).
    public let expires: Date
    /// The inviter's NAT mapping behaviour as its probe found it.
    public let natMapping: NATMapping
    /// The inviter's NAT filtering behaviour as its relay test found it (`unknown` from older engines).
    public let natFiltering: NATFiltering
    /// The inviter's static X25519 public key.
    public let publicKey: [UInt8]
    /// The one-time secret the handshake is bound to (never logged).
    public let inviteSecret: [UInt8]
    /// Where the inviter may be reached.
    public let candidates: [Candidate]

    /// Makes a token; `candidates` are trimmed to fit 160 characters.
    public init(expires: Date, natMapping: NATMapping, natFiltering: NATFiltering = .unknown, publicKey: [UInt8],
                inviteSecret: [UInt8], candidates: [Candidate]) {
        self.expires = expires
        self.natMapping = natMapping
        self.natFiltering = natFiltering
        self.publicKey = publicKey
        self.inviteSecret = inviteSecret
        var budget = (PartyToken.maximumLength - PartyToken.prefix.count) * 5 / 8 - 58
        var kept: [Candidate] = []
        let ordered = candidates.filter { $0.kind == .relay } + candidates.filter { $0.kind == .serverReflexive }
            + candidates.filter { $0.kind == .host }
        for candidate in ordered where !kept.contains(candidate) {
            let size = candidate.encoded.count
            if size <= budget {
                kept.append(candidate)
                budget -= size
            }
        }
        self.candidates = candidates.filter { kept.contains($0) }
    }

    /// The token text, `pb1…` in lower case.
    public var text: String {
        var bytes: [UInt8] = [PartyToken.version, NATBehaviour(mapping: natMapping, filtering: natFiltering).code]
        let seconds = UInt32(clamping: Int64(expires.timeIntervalSince1970.rounded(.down)))
        bytes += [UInt8(seconds >> 24), UInt8((seconds >> 16) & 0xFF), UInt8((seconds >> 8) & 0xFF), UInt8(seconds & 0xFF)]
        bytes += publicKey + inviteSecret
        for candidate in candidates { bytes += candidate.encoded }
        bytes += Array(SHA256.hash(data: bytes).prefix(4))
        return PartyToken.prefix + Base32.encode(bytes)
    }

    /// An id for this invitation that does not reveal the secret (first 4 bytes of SHA-256 of it), sent in clear
    /// in the handshake so the inviter finds the invite.
    public var inviteID: UInt32 { PartyToken.inviteID(for: inviteSecret) }

    /// The invite id of a secret.
    static func inviteID(for secret: [UInt8]) -> UInt32 {
        let digest = Array(SHA256.hash(data: Array("partybus invite id".utf8) + secret))
        let id = UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
        return id == 0 ? 1 : id
    }

    /// Parses a token; throws what is wrong (and where), including expiry against `now`.
    public init(parsing raw: String, now: Date = Date()) throws {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.lowercased().hasPrefix(PartyToken.prefix) else {
            throw P2PError("party token must start with '\(PartyToken.prefix)' (got '\(text.prefix(3))')")
        }
        guard text.count <= PartyToken.maximumLength else {
            throw P2PError("party token is \(text.count) characters, more than \(PartyToken.maximumLength)")
        }
        let bytes = try Base32.decode(text.dropFirst(3), offset: 3)
        guard bytes.count >= 58 else { throw P2PError("party token is cut short (\(bytes.count) bytes, needs at least 58)") }
        let body = bytes.dropLast(4)
        guard Array(SHA256.hash(data: Array(body)).prefix(4)) == Array(bytes.suffix(4)) else {
            throw P2PError("party token check failed: a character was changed or lost")
        }
        guard bytes[0] == PartyToken.version else {
            throw P2PError("party token version \(bytes[0]) is not supported (this engine reads version \(PartyToken.version))")
        }
        let nat = try NATBehaviour(code: bytes[1], at: "party token byte 1 (flags)")
        let seconds = UInt32(bytes[2]) << 24 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 8 | UInt32(bytes[5])
        let expires = Date(timeIntervalSince1970: TimeInterval(seconds))
        guard expires > now else {
            throw P2PError("party token expired at \(ISO8601DateFormatter().string(from: expires))")
        }
        let candidates = try Candidate.decodeList(body[54...], what: "party token")
        guard !candidates.isEmpty else { throw P2PError("party token has no candidate address") }
        self.expires = expires
        self.natMapping = nat.mapping
        self.natFiltering = nat.filtering
        self.publicKey = Array(bytes[6..<38])
        self.inviteSecret = Array(bytes[38..<54])
        self.candidates = candidates
    }
}
