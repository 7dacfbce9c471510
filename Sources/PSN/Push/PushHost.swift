import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The push host serveraddr names (E.1 `fqdn`): read as `host`, `host:port`, `[v6]` or `[v6]:port`, and held to
/// the transport rule of every configured URL before anything connects to it.
enum PushHost {
    /// Host and optional port of an `fqdn`; a host is a DNS name (letters, digits, `.`, `-`) or an IP literal,
    /// never anything that could smuggle a path, credentials or a second host.
    static func parse(_ fqdn: String) throws -> (host: String, port: Int?) {
        func bad(_ why: String) -> PSNError {
            .malformed(endpoint: "serveraddr", detail: "fqdn '\(fqdn.prefix(100))' \(why)")
        }
        let host: Substring
        var portText: Substring?
        if fqdn.hasPrefix("[") {
            guard let close = fqdn.firstIndex(of: "]") else { throw bad("has an unclosed '['") }
            host = fqdn[fqdn.index(after: fqdn.startIndex)..<close]
            let rest = fqdn[fqdn.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw bad("is not [host]:port") }
                portText = rest.dropFirst()
            }
            var v6 = in6_addr()
            guard inet_pton(AF_INET6, String(host), &v6) == 1 else { throw bad("is not an IPv6 literal") }
        } else {
            let parts = fqdn.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw bad("is not host[:port]") }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
            let allowed = host.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2E || byte == 0x2D
            }
            guard !host.isEmpty, host.utf8.count <= 253, allowed else { throw bad("is not a host name") }
        }
        var port: Int?
        if let portText {
            guard let value = Int(portText), (1...65_535).contains(value), portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
            else { throw bad("has a bad port") }
            port = value
        }
        return (String(host), port)
    }

    /// Throws unless plain `ws://` to `host` is allowed: a real loopback host and `psn.allowInsecureLoopback`.
    static func checkInsecure(_ host: String, allowInsecureLoopback: Bool) throws {
        guard allowInsecureLoopback, PSNSettings.isLoopback(host) else {
            throw PSNError.configuration(
                "serveraddr named push host '\(host.prefix(100))'; plain ws:// is only allowed to a loopback host "
                    + "(127.0.0.0/8, ::1, localhost) with psn.allowInsecureLoopback: true — not connecting")
        }
    }
}
