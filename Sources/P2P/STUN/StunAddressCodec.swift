/// Encodes and decodes (XOR-)MAPPED-ADDRESS style attribute values (RFC 8489 §14.1–14.2).
public enum StunAddressCodec {
    /// The XOR mask for an address: the cookie for IPv4, cookie + transaction id for IPv6.
    private static func mask(transactionID: [UInt8]) -> [UInt8] {
        let c = StunMessage.magicCookie
        return [UInt8(c >> 24), UInt8((c >> 16) & 0xFF), UInt8((c >> 8) & 0xFF), UInt8(c & 0xFF)] + transactionID
    }

    /// Encodes an address XOR-ed with the cookie (and transaction id for IPv6).
    public static func encodeXOR(_ address: UDPAddress, transactionID: [UInt8]) -> [UInt8] {
        let m = mask(transactionID: transactionID)
        let port = address.port ^ UInt16(StunMessage.magicCookie >> 16)
        var out: [UInt8] = [0, address.isIPv4 ? 0x01 : 0x02, UInt8(port >> 8), UInt8(port & 0xFF)]
        for (i, byte) in address.ip.enumerated() { out.append(byte ^ m[i]) }
        return out
    }

    /// Decodes an XOR address attribute; `what` names it in errors.
    public static func decodeXOR(_ value: [UInt8], transactionID: [UInt8], what: String) throws -> UDPAddress {
        let plain = try decodePlain(value, what: what)
        let m = mask(transactionID: transactionID)
        let ip = plain.ip.enumerated().map { $0.element ^ m[$0.offset] }
        let port = plain.port ^ UInt16(StunMessage.magicCookie >> 16)
        guard let address = UDPAddress(ip: ip, port: port) else {
            throw StunParseError("\(what) holds no valid address", offset: 0)
        }
        return address
    }

    /// Decodes a plain MAPPED-ADDRESS value.
    public static func decodePlain(_ value: [UInt8], what: String) throws -> UDPAddress {
        guard value.count >= 4 else { throw StunParseError("\(what) is \(value.count) bytes, needs 8 or 20", offset: 0) }
        let length: Int
        switch value[1] {
        case 0x01: length = 4
        case 0x02: length = 16
        default: throw StunParseError("\(what) has unknown address family 0x\(String(value[1], radix: 16))", offset: 1)
        }
        guard value.count == 4 + length else {
            throw StunParseError("\(what) is \(value.count) bytes, family \(value[1]) needs \(4 + length)", offset: 0)
        }
        let port = UInt16(value[2]) << 8 | UInt16(value[3])
        guard let address = UDPAddress(ip: Array(value[4...]), port: port) else {
            throw StunParseError("\(what) holds no valid address", offset: 4)
        }
        return address
    }
}
