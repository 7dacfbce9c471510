/// SplitMix64: a small seedable generator so that a seeded simulator produces the same ids every run.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Every identifier the simulator invents (session ids, reference ids, link ids, codes, tokens) comes from here.
struct IdentifierFactory: Sendable {
    private var rng: SplitMix64

    init(seed: UInt64?) {
        self.rng = SplitMix64(seed: seed ?? UInt64.random(in: .min ... .max))
    }

    static let urlSafe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    static let alphanumeric = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    static let hexDigits = Array("0123456789abcdef")

    mutating func string(length: Int, alphabet: [Character]) -> String {
        var out = ""
        for _ in 0..<length { out.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
        return out
    }

    /// Lowercase UUID v4 `8-4-4-4-12`.
    mutating func uuid() -> String {
        var bytes = (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { b in String(Self.hexDigits[Int(b >> 4)]) + String(Self.hexDigits[Int(b & 0x0F)]) }
        return hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-"
            + hex[8..<10].joined() + "-" + hex[10..<16].joined()
    }

    mutating func hex(_ count: Int) -> String { string(length: count, alphabet: Self.hexDigits) }

    /// Authorization code `v3.` + 6 characters (A.4).
    mutating func authorizationCode() -> String { "v3." + string(length: 6, alphabet: Self.alphanumeric) }

    /// Party share-link id `sim_` + 19 URL-safe characters (B.8).
    mutating func linkId() -> String { "sim_" + string(length: 19, alphabet: Self.urlSafe) }

    /// Opaque token material.
    mutating func opaque(_ count: Int) -> String { string(length: count, alphabet: Self.urlSafe) }

    /// 19-digit decimal account id.
    mutating func accountId() -> String {
        "1" + String((0..<18).map { _ in Character(String(rng.next() % 10)) })
    }
}
