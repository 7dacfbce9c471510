import Foundation
import PSNSimulator
import Testing

@Suite("miranda:12 payload decoding (D.1–D.6)")
struct MirandaPayloadTests {
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    @Test("D.5 worked example decodes byte-exactly and re-encodes to the same payload string")
    func workedExample() throws {
        let decoded = try MirandaPayload.decode(envelope: MirandaFixtures.d5Payload)
        #expect(decoded.constant0 == 1)
        #expect(decoded.constant8 == 1)
        #expect(decoded.senderAccountId == 1_234_567_890_123_456_789)
        #expect(decoded.senderPlatformCode == 100_001)
        #expect(decoded.reserved == [UInt8](repeating: 0, count: 8))
        #expect(decoded.textLength == 417)
        #expect(decoded.jsonBytes == Array(MirandaFixtures.d5JSON.utf8))
        #expect(decoded.jsonBytes.count == 411)
        #expect(decoded.json["type"] == .string("answer"))
        #expect(decoded.json["sdp"] == .string("v=0\r\n"))
        #expect(decoded.json["to"]?["account_id"] == .string("1111111111111111111"))

        let binary = MirandaPayload.binary(senderAccountId: 1_234_567_890_123_456_789, senderPlatformCode: 100_001,
                                           jsonText: MirandaFixtures.d5JSON)
        #expect(binary.count == 461)
        #expect(Self.hex(binary.prefix(50)) ==
            "0100000000000000" + "0100000000000000" + "1581e97df4102211" + "a186010000000000" + "0000000000000000"
            + "a1010000" + "312f312f310a")
        let envelope = MirandaPayload.envelope(senderAccountId: 1_234_567_890_123_456_789, senderPlatformCode: 100_001,
                                               jsonText: MirandaFixtures.d5JSON)
        #expect(envelope == MirandaFixtures.d5Payload)
    }

    @Test("psn-samples/miranda12-payload-example.json decodes to its documented header and inner JSON")
    func sampleFile() throws {
        let decoded = try MirandaPayload.decode(envelope: MirandaFixtures.samplePayload)
        let binary = MirandaPayload.binary(senderAccountId: decoded.senderAccountId,
                                           senderPlatformCode: decoded.senderPlatformCode,
                                           jsonText: String(decoding: decoded.jsonBytes, as: UTF8.self))
        #expect(binary.count == MirandaFixtures.sampleTotalLength)
        #expect(Self.hex(binary.prefix(44)) == MirandaFixtures.sampleHeaderHex)
        #expect(Int(decoded.textLength) == MirandaFixtures.sampleTextLength)
        #expect(decoded.jsonBytes == Array(MirandaFixtures.sampleInnerJSON.utf8))
        #expect(MirandaPayload.envelopePrefix + Data(binary).base64EncodedString() == MirandaFixtures.samplePayload)
        #expect(decoded.json["type"] == .string("answer"))
        #expect(decoded.json["from"]?["platform"]?.intValue == 100_001)
    }

    @Test("each decoding failure is reported precisely")
    func decodingFailures() throws {
        let good = MirandaPayload.binary(senderAccountId: 1, senderPlatformCode: 100_001, jsonText: #"{"a":1}"#)
        func envelope(_ bytes: [UInt8]) -> String { MirandaPayload.envelopePrefix + Data(bytes).base64EncodedString() }
        #expect(throws: MirandaDecodingError.missingPrefix) {
            try MirandaPayload.decode(envelope: "ver=1.0,type=binary,body=" + Data(good).base64EncodedString())
        }
        #expect(throws: MirandaDecodingError.invalidBase64) { try MirandaPayload.decode(envelope: "ver=1.0, type=binary, body=") }
        #expect(throws: MirandaDecodingError.invalidBase64) {
            try MirandaPayload.decode(envelope: String(envelope(good).dropLast()))
        }
        #expect(throws: MirandaDecodingError.invalidBase64) { try MirandaPayload.decode(envelope: envelope(good) + " ") }
        #expect(throws: MirandaDecodingError.tooShort(length: 44)) { try MirandaPayload.decode(binary: Array(good.prefix(44))) }
        var constants = good
        constants[8] = 2
        #expect(throws: MirandaDecodingError.unexpectedConstants) { try MirandaPayload.decode(binary: constants) }
        var length = good
        length[40] &+= 1
        #expect(throws: MirandaDecodingError.textLengthMismatch(declared: UInt32(length[40]), actual: good.count - 44)) {
            try MirandaPayload.decode(binary: length)
        }
        var framing = good
        framing[44] = UInt8(ascii: "2")
        #expect(throws: MirandaDecodingError.missingFraming) { try MirandaPayload.decode(binary: framing) }
        let badJSON = MirandaPayload.binary(senderAccountId: 1, senderPlatformCode: 100_001, jsonText: #"{"a":"#)
        #expect(throws: MirandaDecodingError.invalidJSON) { try MirandaPayload.decode(binary: badJSON) }
        #expect(try MirandaPayload.decode(binary: good).json == .object(["a": .int(1)]))
    }
}
