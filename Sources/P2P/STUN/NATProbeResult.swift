/// How our NAT maps: does the public address change with the destination (RFC 4787 terms)?
public enum NATMapping: String, Sendable, Codable, Hashable {
    /// Every server saw the same address: punching works against most peers.
    case endpointIndependent = "endpoint-independent"
    /// Servers saw different addresses (a symmetric NAT): direct links need the other side open, else a relay.
    case endpointDependent = "endpoint-dependent"
    /// Fewer than two servers answered.
    case unknown

    /// The 2-bit code (bits 0–1 of the NAT byte, `NATBehaviour`).
    var code: UInt8 {
        switch self {
        case .unknown: 0
        case .endpointIndependent: 1
        case .endpointDependent: 2
        }
    }
}

/// What a NAT probe found: each server's answer and the mapping behaviour they imply.
public struct NATProbeResult: Sendable, Hashable {
    /// One server's answer.
    public struct Answer: Sendable, Hashable {
        /// The server asked.
        public let server: UDPAddress
        /// Our address as it saw it, if it answered.
        public let mapped: UDPAddress?
        /// Why it did not answer.
        public let error: String?
    }

    /// Answers in the order the servers were configured.
    public let answers: [Answer]

    /// The distinct server-reflexive addresses seen.
    public var reflexiveAddresses: [UDPAddress] {
        var seen: [UDPAddress] = []
        for answer in answers { if let m = answer.mapped, !seen.contains(m) { seen.append(m) } }
        return seen
    }

    /// The mapping behaviour: needs two answers.
    public var mapping: NATMapping {
        let mapped = answers.compactMap(\.mapped)
        guard mapped.count >= 2 else { return .unknown }
        return Set(mapped).count == 1 ? .endpointIndependent : .endpointDependent
    }
}
