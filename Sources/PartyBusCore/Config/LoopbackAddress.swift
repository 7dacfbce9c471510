import Foundation

/// The project's one loopback rule (the API's listener, the simulator's host, PSN's insecure-loopback switch, SRT
/// listeners in audio graphs): only real loopback counts.
public enum LoopbackAddress {
    /// True only for real loopback: an IPv4 literal in 127.0.0.0/8 (four decimal octets, as `inet_pton` reads
    /// them), the IPv6 literal `::1` (bracketed or not), or the name `localhost` (any case). A name that merely
    /// starts with `127.` (`127.attacker.example`) is not loopback.
    public static func contains(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        let bracketed = host.hasPrefix("[") && host.hasSuffix("]") && host.count >= 2
        let literal = bracketed ? String(host.dropFirst().dropLast()) : host
        if !bracketed {
            var v4 = in_addr()
            if inet_pton(AF_INET, literal, &v4) == 1 { return withUnsafeBytes(of: &v4) { $0.first == 127 } }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, literal, &v6) == 1 else { return false }
        return withUnsafeBytes(of: &v6) { $0.elementsEqual([UInt8](repeating: 0, count: 15) + [1]) }
    }
}
