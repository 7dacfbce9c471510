/// The one rule for account ids that come from outside (tokens, push frames, member objects, command lines):
/// the decimal digits of an unsigned 64-bit number (§0.4), ASCII only — `Character.isNumber` would also accept
/// digits of other scripts such as "٣".
public enum AccountId {
    /// Longest decimal form of a UInt64.
    static let maxDigits = 20

    /// True when `text` is 1…20 ASCII digits.
    public static func isValid(_ text: String) -> Bool {
        let bytes = text.utf8
        return !bytes.isEmpty && bytes.count <= maxDigits && bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// What is wrong with `text` as an account id in `field`, or nil when it is fine (for error messages; the
    /// value is quoted shortened, never whole, since it came from outside).
    static func problem(_ text: String, field: String) -> String? {
        if isValid(text) { return nil }
        return "\(field) '\(text.prefix(24))' is not an account id (1–20 ASCII digits)"
    }
}
