public import PartyBusPluginAPI
import Foundation

/// The `p2p:` config section: `enabled` (bool, default false: a node that answers on the network is opt-in), `listen` ("host:port", default "0.0.0.0:0"),
/// `stunServers` (["ip:port"], default none), `turn` ({address "ip:port", username, password}; default none),
/// `includeLoopback` (offer 127.0.0.1 as a host candidate, for one-machine tests; default false),
/// `keepaliveSeconds` (1–24, default 15), `peerTimeoutSeconds` (3–600, default 40), `tokenLifetimeSeconds` (60–86400, default 3600).
public struct P2PSettings: Sendable {
    /// Whether the daemon runs a P2P node (opt-in: `p2p.enabled: true`).
    public var enabled = false
    /// Where the node's UDP socket binds.
    public var listenHost = "0.0.0.0"
    /// Port (0 picks one).
    public var listenPort = 0
    /// The node's configuration.
    public var configuration = P2PConfiguration()

    /// Defaults.
    public init() {}

    /// Reads the section; throws what is wrong, naming the key.
    public init(section: JSONValue?) throws {
        guard let section, case .object(let keys) = section else { return }
        func string(_ key: String) throws -> String? {
            switch keys[key] {
            case nil, .null?: return nil
            case .string(let text)?: return text
            default: throw P2PError("p2p.\(key) must be a string")
            }
        }
        func number(_ key: String, _ range: ClosedRange<Int64>) throws -> Int64? {
            switch keys[key] {
            case nil, .null?: return nil
            case .int(let n)? where range.contains(n): return n
            case .string(let s)?: if let n = Int64(s), range.contains(n) { return n }
            default: break
            }
            throw P2PError("p2p.\(key) must be a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        switch keys["enabled"] {
        case nil, .null?: break
        case .bool(let flag)?: enabled = flag
        case .string(let text)? where ["true", "false"].contains(text): enabled = text == "true"
        default: throw P2PError("p2p.enabled must be true or false")
        }
        if let listen = try string("listen") {
            (listenHost, listenPort) = try parseListen(listen)
        }
        switch keys["stunServers"] {
        case nil, .null?: break
        case .array(let list)?:
            configuration.stunServers = try list.enumerated().map { index, item in
                guard case .string(let text) = item else { throw P2PError("p2p.stunServers[\(index)] must be \"ip:port\"") }
                do { return try UDPAddress(parsing: text) } catch let error as P2PError {
                    throw P2PError("p2p.stunServers[\(index)]: \(error.message)")
                }
            }
        case .string(let text)?:
            configuration.stunServers = try text.split(separator: ",").map { try UDPAddress(parsing: String($0)) }
        default: throw P2PError("p2p.stunServers must be a list of \"ip:port\"")
        }
        if case .object(let turn)? = keys["turn"] {
            guard case .string(let address)? = turn["address"], case .string(let username)? = turn["username"],
                case .string(let password)? = turn["password"]
            else { throw P2PError("p2p.turn needs address, username and password (strings)") }
            do {
                configuration.turn = TurnServer(address: try UDPAddress(parsing: address), username: username, password: password)
            } catch let error as P2PError { throw P2PError("p2p.turn.address: \(error.message)") }
        } else if keys["turn"] != nil, keys["turn"] != .null {
            throw P2PError("p2p.turn must be an object {address, username, password}")
        }
        switch keys["includeLoopback"] {
        case nil, .null?: break
        case .bool(let flag)?: configuration.includeLoopback = flag
        case .string(let text)? where ["true", "false"].contains(text): configuration.includeLoopback = text == "true"
        default: throw P2PError("p2p.includeLoopback must be true or false")
        }
        if let seconds = try number("keepaliveSeconds", 1...24) { configuration.keepaliveInterval = .seconds(seconds) }
        if let seconds = try number("peerTimeoutSeconds", 3...600) { configuration.peerTimeout = .seconds(seconds) }
        if let seconds = try number("tokenLifetimeSeconds", 60...86400) { configuration.tokenLifetime = .seconds(seconds) }
    }
}

/// Splits a listen address `ip:port` / `[v6]:port` (port 0 picks one) and checks the IP is numeric.
func parseListen(_ text: String) throws -> (host: String, port: Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
    else { throw P2PError("p2p.listen '\(text)' must be ip:port") }
    let host = String(text[..<colon]).trimmingCharacters(in: ["[", "]"])
    _ = try UDPAddress(parsing: (host.contains(":") ? "[\(host)]" : host) + ":1")
    return (host, port)
}
