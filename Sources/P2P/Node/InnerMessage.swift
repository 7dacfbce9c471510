/// What travels inside an encrypted data packet: one kind byte, then its fields.
enum InnerMessage: Equatable {
    /// A connectivity check on a path; answered with `probeAck` on the same path.
    case probe(nonce: UInt64)
    /// The answer to a probe.
    case probeAck(nonce: UInt64)
    /// Keeps NAT bindings open.
    case keepalive
    /// An application message on a topic.
    case message(topic: String, body: [UInt8])

    var encoded: [UInt8] {
        switch self {
        case .probe(let nonce): [1] + InnerMessage.u64(nonce)
        case .probeAck(let nonce): [2] + InnerMessage.u64(nonce)
        case .keepalive: [3]
        case .message(let topic, let body): [0x10, UInt8(topic.utf8.count)] + Array(topic.utf8) + body
        }
    }

    init(decoding bytes: [UInt8]) throws {
        guard let kind = bytes.first else { throw P2PError("empty inner message") }
        switch kind {
        case 1, 2:
            guard bytes.count == 9 else { throw P2PError("probe of \(bytes.count) bytes") }
            var n: UInt64 = 0
            for b in bytes[1...] { n = n << 8 | UInt64(b) }
            self = kind == 1 ? .probe(nonce: n) : .probeAck(nonce: n)
        case 3: self = .keepalive
        case 0x10:
            guard bytes.count >= 2, bytes.count >= 2 + Int(bytes[1]) else { throw P2PError("message topic cut short") }
            let topic = String(decoding: bytes[2..<(2 + Int(bytes[1]))], as: UTF8.self)
            self = .message(topic: topic, body: Array(bytes[(2 + Int(bytes[1]))...]))
        default: throw P2PError("unknown inner message kind \(kind)")
        }
    }

    static func u64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> UInt64(56 - 8 * $0)) & 0xFF) } }
}

/// The payload inside handshake messages: a timestamp (ms, initiator only), the sender's NAT behaviour (1 byte,
/// `NATBehaviour`: the STUN probe's mapping verdict and the relay test's filtering verdict) and its candidates.
struct HandshakePayload {
    var timestamp: UInt64
    var natMapping: NATMapping
    var natFiltering: NATFiltering
    var candidates: [Candidate]

    var encoded: [UInt8] {
        InnerMessage.u64(timestamp) + [NATBehaviour(mapping: natMapping, filtering: natFiltering).code] + candidates.flatMap(\.encoded)
    }

    init(timestamp: UInt64, natMapping: NATMapping, natFiltering: NATFiltering = .unknown, candidates: [Candidate]) {
        self.timestamp = timestamp
        self.natMapping = natMapping
        self.natFiltering = natFiltering
        self.candidates = candidates
    }

    init(decoding bytes: [UInt8]) throws {
        guard bytes.count >= 9 else { throw P2PError("handshake payload cut short (\(bytes.count) bytes, at least 9)") }
        var n: UInt64 = 0
        for b in bytes[0..<8] { n = n << 8 | UInt64(b) }
        timestamp = n
        let nat = try NATBehaviour(code: bytes[8], at: "handshake payload byte 8")
        natMapping = nat.mapping
        natFiltering = nat.filtering
        candidates = try Candidate.decodeList(bytes[9...], what: "handshake payload")
    }
}

/// How a link reaches its peer.
public enum LinkPath: Hashable, Sendable, CustomStringConvertible {
    /// Straight to the peer's address.
    case direct(UDPAddress)
    /// Through our TURN allocation to the peer's address (as the relay sees it).
    case relayed(UDPAddress)

    /// `direct` or `relayed`.
    public var kind: String {
        switch self {
        case .direct: "direct"
        case .relayed: "relayed"
        }
    }

    public var description: String {
        switch self {
        case .direct(let a): "direct \(a)"
        case .relayed(let a): "relayed \(a)"
        }
    }
}
