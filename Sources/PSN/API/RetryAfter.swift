import Foundation

/// Reads a `Retry-After` header defensively (F.4): integer or decimal seconds, or an HTTP-date (IMF-fixdate), the
/// result clamped to `range`. Nothing the server sends can trap or stall the client: `inf`, `nan`, exponents,
/// negative, huge or unreadable values end up within the range (unreadable or absent ones at `fallback`).
public enum RetryAfter {
    /// Shortest and longest wait honoured, in seconds.
    public static let range: ClosedRange<Double> = 1...300
    /// The wait when there is no usable header (F.4: 60 s).
    public static let fallback: Double = 60

    /// The wait in seconds for header value `header` (nil when absent), relative to `now` for an HTTP-date.
    public static func seconds(_ header: String?, now: Date = Date()) -> Double {
        guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return fallback }
        if let seconds = decimalSeconds(text) { return clamp(seconds) }
        if let date = httpDate(text) { return clamp(date.timeIntervalSince(now)) }
        return fallback
    }

    /// The same wait as a `Duration` (whole milliseconds; always within `range`).
    public static func duration(_ header: String?, now: Date = Date()) -> Duration {
        .milliseconds(Int64((seconds(header, now: now) * 1000).rounded()))
    }

    /// `value` within `range`; a non-finite value goes to the nearer end (nan to the fallback).
    static func clamp(_ value: Double) -> Double {
        if value.isNaN { return fallback }
        return min(max(value, range.lowerBound), range.upperBound)
    }

    /// `[-]digits[.digits]` only: `Double(_:)` alone would also take `inf`, `nan`, `1e9` and hex.
    static func decimalSeconds(_ text: String) -> Double? {
        var body = Substring(text)
        if body.hasPrefix("-") || body.hasPrefix("+") { body = body.dropFirst() }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty,
            parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
            parts.count == 1 || !parts[1].isEmpty
        else { return nil }
        // Many digits parse as +inf (or a huge finite number); clamp() takes care of both.
        return Double(text)
    }

    /// An IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.date(from: text)
    }
}
