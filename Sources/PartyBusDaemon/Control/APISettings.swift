public import Foundation
public import PartyBusCore
import PSN

/// The `api:` section: where the control API listens besides its Unix socket, and the bearer token for TCP.
public struct APISettings: Sendable {
    /// `host:port` for the TCP listener ("" = the Unix socket only).
    public var listen: String = ""
    /// Bearer token TCP clients must send (required when `listen` is not a loopback address).
    public var token: Secret?

    /// The section's schema (for `config check` and `PARTYBUS_API__*`).
    public static let schema: ConfigSchema = .object([
        ("listen", .string(default: "")),
        ("token", .string(default: "")),
    ])

    /// Reads the section.
    public static func from(_ config: PartyBusConfig) -> APISettings {
        var settings = APISettings()
        guard case .object(let members)? = config.sections["api"] else { return settings }
        if case .string(let listen)? = members["listen"] { settings.listen = listen.trimmingCharacters(in: .whitespaces) }
        if case .string(let token)? = members["token"], !token.isEmpty { settings.token = Secret(token) }
        return settings
    }

    /// The TCP address to bind, checked: nil when there is none; an error for a malformed address, or a
    /// non-loopback one without a token.
    public func tcpAddress() throws -> (host: String, port: Int)? {
        guard !listen.isEmpty else { return nil }
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port)
        else { throw APISettingsError("api.listen: expected host:port (e.g. 127.0.0.1:8787), found '\(listen)'") }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw APISettingsError("api.listen: no host in '\(listen)' (say 127.0.0.1:\(port))") }
        if !Self.isLoopbackLiteral(host) && token == nil {
            throw APISettingsError(
                "api.listen: \(listen) is not a loopback address; refusing to serve the control API there without a "
                    + "bearer token (set api.token, e.g. with PARTYBUS_API__TOKEN)")
        }
        return (host, port)
    }

    /// 127.0.0.0/8 or ::1 as an address literal, or `localhost`: the one loopback rule PSN's settings use too.
    static func isLoopbackLiteral(_ host: String) -> Bool {
        PSNSettings.isLoopback(host)
    }
}

/// The `api:` section cannot work.
public struct APISettingsError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, naming the key.
    public let description: String
    init(_ description: String) { self.description = description }
}
