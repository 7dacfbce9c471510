/// A STUN method (RFC 8489 §5, TURN methods from RFC 8656 §17).
public struct StunMethod: RawRepresentable, Sendable, Hashable {
    /// The 12-bit method number.
    public let rawValue: UInt16
    /// Makes a method from its number.
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }

    /// Binding (RFC 8489).
    public static let binding = StunMethod(rawValue: 0x001)
    /// Allocate (RFC 8656).
    public static let allocate = StunMethod(rawValue: 0x003)
    /// Refresh (RFC 8656).
    public static let refresh = StunMethod(rawValue: 0x004)
    /// Send indication (RFC 8656).
    public static let send = StunMethod(rawValue: 0x006)
    /// Data indication (RFC 8656).
    public static let data = StunMethod(rawValue: 0x007)
    /// CreatePermission (RFC 8656).
    public static let createPermission = StunMethod(rawValue: 0x008)
    /// ChannelBind (RFC 8656).
    public static let channelBind = StunMethod(rawValue: 0x009)
}

/// The class of a STUN message.
public enum StunClass: UInt16, Sendable, Hashable {
    /// A request, answered by a success or error response.
    case request = 0
    /// An indication: no answer.
    case indication = 1
    /// A success response.
    case success = 2
    /// An error response.
    case error = 3
}

/// STUN attribute types this client reads or writes (RFC 8489 §18.3, RFC 8656 §18).
public enum StunAttributeType {
    public static let mappedAddress: UInt16 = 0x0001
    public static let username: UInt16 = 0x0006
    public static let messageIntegrity: UInt16 = 0x0008
    public static let errorCode: UInt16 = 0x0009
    public static let unknownAttributes: UInt16 = 0x000A
    public static let channelNumber: UInt16 = 0x000C
    public static let lifetime: UInt16 = 0x000D
    public static let xorPeerAddress: UInt16 = 0x0012
    public static let data: UInt16 = 0x0013
    public static let realm: UInt16 = 0x0014
    public static let nonce: UInt16 = 0x0015
    public static let xorRelayedAddress: UInt16 = 0x0016
    public static let requestedTransport: UInt16 = 0x0019
    public static let xorMappedAddress: UInt16 = 0x0020
    public static let software: UInt16 = 0x8022
    public static let fingerprint: UInt16 = 0x8028
    public static let responseOrigin: UInt16 = 0x802B
    public static let otherAddress: UInt16 = 0x802C
}

/// One attribute: its type and raw value (unpadded).
public struct StunAttribute: Sendable, Hashable {
    /// The attribute type.
    public let type: UInt16
    /// The value bytes, without padding.
    public let value: [UInt8]
    /// Makes an attribute.
    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }
}

/// A STUN message: header fields plus attributes in order.
public struct StunMessage: Sendable, Hashable {
    /// The fixed magic cookie (RFC 8489 §5).
    public static let magicCookie: UInt32 = 0x2112_A442
    /// The method.
    public var method: StunMethod
    /// The class.
    public var messageClass: StunClass
    /// The 96-bit transaction id.
    public var transactionID: [UInt8]
    /// Attributes in wire order (MESSAGE-INTEGRITY and FINGERPRINT are added by `encode`).
    public var attributes: [StunAttribute]

    /// Makes a message; a new random transaction id unless one is given.
    public init(
        method: StunMethod, messageClass: StunClass, transactionID: [UInt8]? = nil, attributes: [StunAttribute] = []
    ) {
        self.method = method
        self.messageClass = messageClass
        self.transactionID = transactionID ?? (0..<12).map { _ in UInt8.random(in: 0...255) }
        self.attributes = attributes
    }

    /// The 16-bit message type: method and class bits interleaved (RFC 8489 §5).
    public var messageType: UInt16 {
        let m = method.rawValue
        let c = messageClass.rawValue
        return (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7)
    }

    /// Splits a message type into method and class.
    static func split(_ type: UInt16) -> (StunMethod, StunClass) {
        let method = (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2)
        let cls = ((type >> 4) & 1) | ((type >> 7) & 2)
        return (StunMethod(rawValue: method), StunClass(rawValue: cls) ?? .request)
    }

    /// The first attribute of a type, if any.
    public func attribute(_ type: UInt16) -> StunAttribute? { attributes.first { $0.type == type } }

    /// The mapped address: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS.
    public func mappedAddress() throws -> UDPAddress? {
        if let xor = attribute(StunAttributeType.xorMappedAddress) {
            return try StunAddressCodec.decodeXOR(xor.value, transactionID: transactionID, what: "XOR-MAPPED-ADDRESS")
        }
        if let plain = attribute(StunAttributeType.mappedAddress) {
            return try StunAddressCodec.decodePlain(plain.value, what: "MAPPED-ADDRESS")
        }
        return nil
    }

    /// An XOR address attribute (XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS …), decoded.
    public func xorAddress(_ type: UInt16, name: String) throws -> UDPAddress? {
        guard let attribute = attribute(type) else { return nil }
        return try StunAddressCodec.decodeXOR(attribute.value, transactionID: transactionID, what: name)
    }

    /// The ERROR-CODE attribute as (code, reason).
    public func errorCode() throws -> (code: Int, reason: String)? {
        guard let attribute = attribute(StunAttributeType.errorCode) else { return nil }
        let v = attribute.value
        guard v.count >= 4 else { throw StunParseError("ERROR-CODE is \(v.count) bytes, needs at least 4", offset: 0) }
        let code = Int(v[2] & 0x07) * 100 + Int(v[3])
        let reason = String(decoding: v[4...], as: UTF8.self)
        return (code, reason)
    }

    /// An attribute's value as UTF-8 text.
    public func text(_ type: UInt16) -> String? {
        attribute(type).map { String(decoding: $0.value, as: UTF8.self) }
    }
}
