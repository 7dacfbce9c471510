import Foundation

/// Why a `miranda:12` payload could not be decoded (psn-protocol.md D.6). Each case belongs to one D.7 rule.
public enum MirandaDecodingError: Error, Sendable, Equatable {
    /// The string does not start with `ver=1.0, type=binary, body=` (D.1).
    case missingPrefix
    /// The body is empty or not standard base64 with padding (D.1).
    case invalidBase64
    /// The binary is shorter than the 44-byte header plus `1/1/1\n` (D.6: length ≥ 50).
    case tooShort(length: Int)
    /// Bytes 0–15 are not u64 LE `1`, u64 LE `1` (D.2).
    case unexpectedConstants
    /// The u32 at offset 40 does not equal the number of bytes after offset 44 (D.2).
    case textLengthMismatch(declared: UInt32, actual: Int)
    /// The text does not start with `1/1/1\n` (D.3).
    case missingFraming
    /// The text after the framing is not JSON (D.4).
    case invalidJSON
}

/// A decoded `miranda:12` customMessage payload (psn-protocol.md D.1–D.6): a 44-byte little-endian header, the
/// `1/1/1\n` framing and one compact JSON object, base64-encoded behind the `ver=1.0, type=binary, body=` prefix.
public struct MirandaPayload: Sendable, Equatable {
    /// The literal envelope prefix (D.1).
    public static let envelopePrefix = "ver=1.0, type=binary, body="
    /// Size of the binary header (D.2).
    public static let headerLength = 44
    /// The text framing that follows the header (D.3).
    public static let framing: [UInt8] = Array("1/1/1\n".utf8)

    /// u64 at offset 0 (observed `1`).
    public var constant0: UInt64
    /// u64 at offset 8 (observed `1`).
    public var constant8: UInt64
    /// u64 at offset 16: the sender's account id.
    public var senderAccountId: UInt64
    /// u64 at offset 24: the sender's platform code (`100001` = MOBILE_APP, `5` = PS5).
    public var senderPlatformCode: UInt64
    /// Bytes 32–39 (observed all zero).
    public var reserved: [UInt8]
    /// u32 at offset 40: byte length of the text part (`1/1/1\n` + JSON).
    public var textLength: UInt32
    /// The JSON text exactly as carried (UTF-8 bytes after the framing).
    public var jsonBytes: [UInt8]
    /// The parsed inner JSON (D.4).
    public var json: JSONValue

    /// Decodes a REST / push `payload` string (D.6 decode procedure).
    public static func decode(envelope: String) throws(MirandaDecodingError) -> MirandaPayload {
        guard envelope.hasPrefix(envelopePrefix) else { throw .missingPrefix }
        let encoded = String(envelope.dropFirst(envelopePrefix.count))
        guard let binary = base64Decode(encoded) else { throw .invalidBase64 }
        return try decode(binary: binary)
    }

    /// Decodes the binary form (header + text).
    public static func decode(binary: [UInt8]) throws(MirandaDecodingError) -> MirandaPayload {
        guard binary.count >= headerLength + framing.count else { throw .tooShort(length: binary.count) }
        let constant0 = readU64(binary, at: 0)
        let constant8 = readU64(binary, at: 8)
        guard constant0 == 1, constant8 == 1 else { throw .unexpectedConstants }
        let textLength = readU32(binary, at: 40)
        let actual = binary.count - headerLength
        guard Int(textLength) == actual else { throw .textLengthMismatch(declared: textLength, actual: actual) }
        guard Array(binary[headerLength..<(headerLength + framing.count)]) == framing else { throw .missingFraming }
        let jsonBytes = Array(binary[(headerLength + framing.count)...])
        let json: JSONValue
        do { json = try JSONValue.parse(jsonBytes) } catch { throw .invalidJSON }
        return MirandaPayload(
            constant0: constant0, constant8: constant8, senderAccountId: readU64(binary, at: 16),
            senderPlatformCode: readU64(binary, at: 24), reserved: Array(binary[32..<40]), textLength: textLength,
            jsonBytes: jsonBytes, json: json)
    }

    /// Builds the binary form (D.6 encode procedure) from the sender and the exact JSON text.
    public static func binary(senderAccountId: UInt64, senderPlatformCode: UInt64, jsonText: String) -> [UInt8] {
        let text = framing + Array(jsonText.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(headerLength + text.count)
        appendLE(&out, UInt64(1), bytes: 8)
        appendLE(&out, UInt64(1), bytes: 8)
        appendLE(&out, senderAccountId, bytes: 8)
        appendLE(&out, senderPlatformCode, bytes: 8)
        out += [UInt8](repeating: 0, count: 8)
        appendLE(&out, UInt64(UInt32(truncatingIfNeeded: text.count)), bytes: 4)
        return out + text
    }

    /// Builds the full `payload` string: prefix + standard base64 with padding.
    public static func envelope(senderAccountId: UInt64, senderPlatformCode: UInt64, jsonText: String) -> String {
        let bytes = binary(senderAccountId: senderAccountId, senderPlatformCode: senderPlatformCode, jsonText: jsonText)
        return envelopePrefix + Data(bytes).base64EncodedString()
    }

    /// The miranda platform code of a REST platform string (0.4); `nil` where no code is known.
    public static func platformCode(for platform: String) -> UInt64? {
        switch platform {
        case "MOBILE_APP": return 100_001
        case "PS5": return 5
        default: return nil
        }
    }

    /// Strict standard base64: alphabet `A–Z a–z 0–9 + /`, length a multiple of 4, `=` only as final padding.
    static func base64Decode(_ s: String) -> [UInt8]? {
        let bytes = Array(s.utf8)
        guard !bytes.isEmpty, bytes.count % 4 == 0 else { return nil }
        let padding = bytes.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2 else { return nil }
        for byte in bytes.dropLast(padding) {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                continue
            default:
                return nil
            }
        }
        return Data(base64Encoded: s).map { Array($0) }
    }

    private static func readU64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value
    }

    private static func readU32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        return value
    }

    private static func appendLE(_ out: inout [UInt8], _ value: UInt64, bytes: Int) {
        for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}
