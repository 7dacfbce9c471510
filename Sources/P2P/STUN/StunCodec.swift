import Crypto

/// Writes and strictly parses STUN messages (RFC 8489 §5, §14), with MESSAGE-INTEGRITY and FINGERPRINT.
public enum StunCodec {
    /// The FINGERPRINT XOR constant (RFC 8489 §14.7).
    static let fingerprintXOR: UInt32 = 0x5354_554E
    /// Largest datagram the parser accepts.
    public static let maximumSize = 1500

    /// Encodes a message; adds MESSAGE-INTEGRITY when a key is given and FINGERPRINT when asked.
    public static func encode(_ message: StunMessage, integrityKey: [UInt8]? = nil, fingerprint: Bool = true) -> [UInt8] {
        var body: [UInt8] = []
        for attribute in message.attributes { appendAttribute(attribute, to: &body) }
        var out = header(message, bodyLength: body.count) + body
        if let key = integrityKey {
            // The length covers MESSAGE-INTEGRITY itself (24 bytes) while the HMAC is computed.
            setLength(&out, body.count + 24)
            let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: out, using: SymmetricKey(data: key)))
            appendAttribute(StunAttribute(type: StunAttributeType.messageIntegrity, value: mac), to: &out)
        }
        if fingerprint {
            setLength(&out, out.count - 20 + 8)
            let crc = CRC32.checksum(out) ^ fingerprintXOR
            appendAttribute(StunAttribute(type: StunAttributeType.fingerprint, value: bigEndian(crc)), to: &out)
        }
        setLength(&out, out.count - 20)
        return out
    }

    /// True when the datagram looks like STUN (top bits zero and the magic cookie), before a full parse.
    public static func looksLikeStun<Bytes: RandomAccessCollection>(_ bytes: Bytes) -> Bool
    where Bytes.Element == UInt8, Bytes.Index == Int {
        guard bytes.count >= 20 else { return false }
        let s = bytes.startIndex
        return bytes[s] & 0xC0 == 0 && bytes[s + 4] == 0x21 && bytes[s + 5] == 0x12 && bytes[s + 6] == 0xA4
            && bytes[s + 7] == 0x42
    }

    /// Parses a datagram; throws what is wrong and where. With `integrityKey`, MESSAGE-INTEGRITY must be present
    /// and correct.
    public static func parse(_ bytes: [UInt8], integrityKey: [UInt8]? = nil) throws -> StunMessage {
        guard bytes.count <= maximumSize else {
            throw StunParseError("datagram is \(bytes.count) bytes, more than \(maximumSize)", offset: maximumSize)
        }
        guard bytes.count >= 20 else {
            throw StunParseError("datagram is \(bytes.count) bytes, shorter than the 20-byte header", offset: 0)
        }
        guard bytes[0] & 0xC0 == 0 else { throw StunParseError("the first two bits are not zero", offset: 0) }
        let length = Int(bytes[2]) << 8 | Int(bytes[3])
        guard length % 4 == 0 else { throw StunParseError("length \(length) is not a multiple of 4", offset: 2) }
        guard length == bytes.count - 20 else {
            throw StunParseError("length field says \(length) but \(bytes.count - 20) bytes follow the header", offset: 2)
        }
        guard readUInt32(bytes, 4) == StunMessage.magicCookie else {
            throw StunParseError("magic cookie is not 0x2112A442", offset: 4)
        }
        let (method, cls) = StunMessage.split(UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
        let transactionID = Array(bytes[8..<20])
        var attributes: [StunAttribute] = []
        var offset = 20
        var sawIntegrity = false
        var sawFingerprint = false
        while offset < bytes.count {
            guard offset + 4 <= bytes.count else { throw StunParseError("truncated attribute header", offset: offset) }
            let type = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            let valueLength = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let padded = (valueLength + 3) & ~3
            guard offset + 4 + padded <= bytes.count else {
                throw StunParseError(
                    "attribute 0x\(String(type, radix: 16)) of \(valueLength) bytes runs past the end", offset: offset)
            }
            if sawFingerprint {
                throw StunParseError("attribute after FINGERPRINT", offset: offset)
            }
            if sawIntegrity && type != StunAttributeType.fingerprint {
                throw StunParseError("attribute 0x\(String(type, radix: 16)) after MESSAGE-INTEGRITY", offset: offset)
            }
            let value = Array(bytes[(offset + 4)..<(offset + 4 + valueLength)])
            switch type {
            case StunAttributeType.messageIntegrity:
                guard valueLength == 20 else {
                    throw StunParseError("MESSAGE-INTEGRITY is \(valueLength) bytes, not 20", offset: offset)
                }
                if let key = integrityKey {
                    var covered = Array(bytes[0..<offset])
                    setLength(&covered, offset - 20 + 24)
                    guard HMAC<Insecure.SHA1>.isValidAuthenticationCode(value, authenticating: covered, using: SymmetricKey(data: key))
                    else { throw StunParseError("MESSAGE-INTEGRITY does not match", offset: offset) }
                }
                sawIntegrity = true
            case StunAttributeType.fingerprint:
                guard valueLength == 4 else {
                    throw StunParseError("FINGERPRINT is \(valueLength) bytes, not 4", offset: offset)
                }
                var covered = Array(bytes[0..<offset])
                setLength(&covered, offset - 20 + 8)
                guard readUInt32(value, 0) == CRC32.checksum(covered) ^ fingerprintXOR else {
                    throw StunParseError("FINGERPRINT does not match the message", offset: offset)
                }
                sawFingerprint = true
            case StunAttributeType.xorMappedAddress, StunAttributeType.mappedAddress,
                StunAttributeType.xorPeerAddress, StunAttributeType.xorRelayedAddress:
                do {
                    _ = try StunAddressCodec.decodePlain(value, what: "attribute 0x\(String(type, radix: 16))")
                } catch let error as StunParseError {
                    throw StunParseError(error.reason, offset: offset + 4 + error.offset)
                }
            case StunAttributeType.errorCode:
                guard valueLength >= 4, (3...6).contains(value[2] & 0x07), value[3] < 100 else {
                    throw StunParseError("ERROR-CODE is malformed", offset: offset)
                }
            default:
                break
            }
            attributes.append(StunAttribute(type: type, value: value))
            offset += 4 + padded
        }
        if integrityKey != nil && !sawIntegrity {
            throw StunParseError("MESSAGE-INTEGRITY is missing", offset: bytes.count)
        }
        return StunMessage(method: method, messageClass: cls, transactionID: transactionID, attributes: attributes)
    }

    /// The long-term credential key: MD5(username ":" realm ":" password) (RFC 8489 §9.2.2).
    public static func longTermKey(username: String, realm: String, password: String) -> [UInt8] {
        Array(Insecure.MD5.hash(data: Array("\(username):\(realm):\(password)".utf8)))
    }

    private static func header(_ message: StunMessage, bodyLength: Int) -> [UInt8] {
        let type = message.messageType
        var out: [UInt8] = [UInt8(type >> 8), UInt8(type & 0xFF), UInt8(bodyLength >> 8), UInt8(bodyLength & 0xFF)]
        out += bigEndian(StunMessage.magicCookie)
        out += message.transactionID
        return out
    }

    private static func appendAttribute(_ attribute: StunAttribute, to out: inout [UInt8]) {
        let n = attribute.value.count
        out += [UInt8(attribute.type >> 8), UInt8(attribute.type & 0xFF), UInt8(n >> 8), UInt8(n & 0xFF)]
        out += attribute.value
        out += [UInt8](repeating: 0, count: (4 - n % 4) % 4)
    }

    private static func setLength(_ out: inout [UInt8], _ length: Int) {
        out[2] = UInt8((length >> 8) & 0xFF)
        out[3] = UInt8(length & 0xFF)
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func readUInt32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }
}
