/// A transport address where a peer may be reached (ICE's terms, RFC 8445 §5.1.1).
public struct Candidate: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How the address was found.
    public enum Kind: UInt8, Sendable, Hashable, Codable {
        /// An address of one of our own interfaces (the LAN path).
        case host = 0
        /// Our address as a STUN server saw it (server-reflexive).
        case serverReflexive = 1
        /// An address on a TURN server that relays to us.
        case relay = 2
    }

    /// How it was found.
    public let kind: Kind
    /// The address.
    public let address: UDPAddress

    /// Makes a candidate.
    public init(_ kind: Kind, _ address: UDPAddress) {
        self.kind = kind
        self.address = address
    }

    public var description: String {
        switch kind {
        case .host: "host \(address)"
        case .serverReflexive: "srflx \(address)"
        case .relay: "relay \(address)"
        }
    }

    /// Wire form: kind in the high nibble, 4 or 6 in the low one, then the IP and the port.
    var encoded: [UInt8] {
        [kind.rawValue << 4 | (address.isIPv4 ? 4 : 6)] + address.ip + [UInt8(address.port >> 8), UInt8(address.port & 0xFF)]
    }

    /// Reads candidates until the bytes end; throws what is wrong and at which byte.
    static func decodeList(_ bytes: ArraySlice<UInt8>, what: String) throws -> [Candidate] {
        var candidates: [Candidate] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let head = bytes[i]
            guard let kind = Kind(rawValue: head >> 4) else {
                throw P2PError("\(what): candidate at byte \(i) has unknown kind \(head >> 4)")
            }
            let ipLength: Int
            switch head & 0x0F {
            case 4: ipLength = 4
            case 6: ipLength = 16
            default: throw P2PError("\(what): candidate at byte \(i) has unknown family \(head & 0x0F)")
            }
            guard i + 1 + ipLength + 2 <= bytes.endIndex else {
                throw P2PError("\(what): candidate at byte \(i) is cut short")
            }
            let ip = Array(bytes[(i + 1)..<(i + 1 + ipLength)])
            let port = UInt16(bytes[i + 1 + ipLength]) << 8 | UInt16(bytes[i + 2 + ipLength])
            guard port != 0, let address = UDPAddress(ip: ip, port: port) else {
                throw P2PError("\(what): candidate at byte \(i) has port 0")
            }
            candidates.append(Candidate(kind, address))
            i += 1 + ipLength + 2
        }
        return candidates
    }
}
