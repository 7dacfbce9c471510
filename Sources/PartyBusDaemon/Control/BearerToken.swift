import PartyBusCore

/// The TCP listener's bearer token: compared in constant time, never printed.
struct BearerToken: Sendable {
    private let expected: [UInt8]

    init(_ secret: Secret) { expected = Array(secret.reveal().utf8) }

    /// True when the `Authorization` header carries exactly this token.
    func accepts(authorization header: String?) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        return Self.constantTimeEqual(Array(header.dropFirst("Bearer ".count).utf8), expected)
    }

    /// True when `value` (an `?access_token=` query value) is exactly this token.
    func accepts(token value: String) -> Bool {
        !value.isEmpty && Self.constantTimeEqual(Array(value.utf8), expected)
    }

    /// Compares every byte whatever the first difference, so timing tells nothing but the length.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        // Keep the whole length difference: truncated to a byte, lengths 256 apart (the shorter padded with zeros)
        // compared equal.
        var difference = a.count ^ b.count
        for index in 0..<max(a.count, b.count) {
            let left = index < a.count ? a[index] : 0
            let right = index < b.count ? b[index] : 0
            difference |= Int(left ^ right)
        }
        return difference == 0
    }
}
