public import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address and a UDP port, as carried in STUN attributes, tokens and handshakes.
public struct UDPAddress: Sendable, Hashable, CustomStringConvertible, Codable {
    /// 4 bytes (IPv4) or 16 bytes (IPv6), network order.
    public let ip: [UInt8]
    /// The UDP port.
    public let port: UInt16

    /// Makes an address from raw bytes; nil unless `ip` is 4 or 16 bytes.
    public init?(ip: [UInt8], port: UInt16) {
        guard ip.count == 4 || ip.count == 16 else { return nil }
        self.ip = ip
        self.port = port
    }

    /// Parses `a.b.c.d:port` or `[v6]:port`; throws what is wrong.
    public init(parsing text: String) throws {
        let host: String
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw P2PError("address '\(text)': expected [IPv6]:port")
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw P2PError("address '\(text)': expected host:port") }
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portText), port != 0 else {
            throw P2PError("address '\(text)': port '\(portText)' is not 1–65535")
        }
        guard let socketAddress = try? SocketAddress(ipAddress: host, port: Int(port)),
            let address = UDPAddress(socketAddress)
        else { throw P2PError("address '\(text)': '\(host)' is not a numeric IPv4 or IPv6 address") }
        self = address
    }

    /// The address of a NIO socket address; nil for Unix sockets.
    public init?(_ address: SocketAddress) {
        guard let port = address.port, port >= 0, port <= 65535 else { return nil }
        switch address {
        case .v4(let v4):
            // s_addr is network order in memory; read its bytes as stored.
            var stored = v4.address.sin_addr.s_addr
            self.ip = withUnsafeBytes(of: &stored) { Array($0) }
        case .v6(let v6):
            var stored = v6.address.sin6_addr
            self.ip = withUnsafeBytes(of: &stored) { Array($0) }
        default:
            return nil
        }
        self.port = UInt16(port)
    }

    /// True for IPv4.
    public var isIPv4: Bool { ip.count == 4 }

    /// The NIO socket address.
    public func socketAddress() throws -> SocketAddress {
        try SocketAddress(ipAddress: ipText, port: Int(port))
    }

    /// The IP in text form (dotted quad or RFC 5952-ish hex groups).
    public var ipText: String {
        if isIPv4 { return ip.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: 16, by: 2) {
            groups.append(String(UInt16(ip[i]) << 8 | UInt16(ip[i + 1]), radix: 16))
        }
        return groups.joined(separator: ":")
    }

    public var description: String { isIPv4 ? "\(ipText):\(port)" : "[\(ipText)]:\(port)" }

    /// True for 127/8 and ::1.
    public var isLoopback: Bool {
        isIPv4 ? ip[0] == 127 : ip == [UInt8](repeating: 0, count: 15) + [1]
    }
}
