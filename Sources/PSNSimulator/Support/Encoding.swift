import Foundation

/// Small encoding helpers: base64 checks, base64url, form and cookie parsing.
enum Encoding {
    /// True when `s` is canonical-enough standard base64 (padding optional, no whitespace).
    static func isValidBase64(_ s: String) -> Bool {
        if s.isEmpty { return true }
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
        guard s.allSatisfy({ allowed.contains($0) }) else { return false }
        var padded = s
        while padded.count % 4 != 0 { padded += "=" }
        if let eq = padded.firstIndex(of: "="), padded[eq...].contains(where: { $0 != "=" }) { return false }
        return Data(base64Encoded: padded) != nil
    }

    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode(_ s: String) -> [UInt8]? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t).map { Array($0) }
    }

    static func base64Decode(_ s: String) -> [UInt8]? {
        Data(base64Encoded: s).map { Array($0) }
    }

    /// Decodes `application/x-www-form-urlencoded` (`+` is a space). Later duplicates win.
    static func parseForm(_ body: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = formDecode(String(parts[0]))
            let value = parts.count > 1 ? formDecode(String(parts[1])) : ""
            out[key] = value
        }
        return out
    }

    static func formDecode(_ s: String) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// Percent-encodes a query value (RFC 3986 unreserved characters kept).
    static func queryEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// Value of cookie `name` in a `Cookie` header.
    static func cookie(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == name { return String(kv[1]) }
        }
        return nil
    }

    /// Decimal digits of an unsigned account id, or `nil`.
    static func isAccountIdDigits(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 20 && s.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
