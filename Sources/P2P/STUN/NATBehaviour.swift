/// How our NAT filters inbound packets (RFC 4787 terms): does it let in a packet from an address we never sent to?
public enum NATFiltering: String, Sendable, Codable, Hashable {
    /// A packet from our relay (an address we never sent to) reached our socket: anyone may send to our mapping
    /// (a full-cone NAT, or no NAT). A peer's normal packets come straight in, so it need not wait for anything.
    case endpointIndependent = "endpoint-independent"
    /// The relay's packet was dropped: only addresses (and ports) we sent to may answer (port- or
    /// address-restricted cones, most symmetric NATs).
    case endpointDependent = "endpoint-dependent"
    /// Not tested: no relay allocation or no server-reflexive address.
    case unknown

    /// The 2-bit code (bits 2–3 of the NAT byte).
    var code: UInt8 {
        switch self {
        case .unknown: 0
        case .endpointIndependent: 1
        case .endpointDependent: 2
        }
    }
}

/// Our NAT's mapping and filtering together: one byte in the token's flags and in every handshake payload.
///
/// Bits 0–1: the mapping (0 unknown, 1 endpoint-independent, 2 endpoint-dependent); bits 2–3: the filtering
/// (same codes); bits 4–7: zero. A 3 in either field or any high bit is refused with its position — never read as
/// something else. A byte from an engine before the filtering test (bits 2–3 zero) reads as filtering `unknown`.
public struct NATBehaviour: Sendable, Hashable {
    /// Does the public address change with the destination?
    public var mapping: NATMapping
    /// Does the NAT let in packets from addresses we never sent to?
    public var filtering: NATFiltering

    /// Makes a behaviour.
    public init(mapping: NATMapping, filtering: NATFiltering = .unknown) {
        self.mapping = mapping
        self.filtering = filtering
    }

    /// The wire byte.
    var code: UInt8 { mapping.code | filtering.code << 2 }

    /// Reads the wire byte; `position` names where it was (e.g. "handshake payload byte 8") for the error.
    init(code: UInt8, at position: String) throws {
        guard code & 0xF0 == 0 else {
            throw P2PError("\(position): NAT byte 0x\(String(code, radix: 16)) has unknown bits set (only bits 0–3 are defined)")
        }
        switch code & 0x03 {
        case 0: mapping = .unknown
        case 1: mapping = .endpointIndependent
        case 2: mapping = .endpointDependent
        default: throw P2PError("\(position): NAT mapping code 3 is not 0, 1 or 2")
        }
        switch code >> 2 {
        case 0: filtering = .unknown
        case 1: filtering = .endpointIndependent
        case 2: filtering = .endpointDependent
        default: throw P2PError("\(position): NAT filtering code 3 is not 0, 1 or 2")
        }
    }
}
