import PSNSimulator
import Testing

@Suite("miranda:12 message encoding (D.4–D.6)")
struct MirandaMessageTests {
    static let d5 = MirandaMessage(
        type: "answer", sdp: "v=0\r\n", from: .init(accountId: "1234567890123456789", restPlatform: "MOBILE_APP"),
        to: .init(accountId: "1111111111111111111", restPlatform: "PS5"), globalSeqNum: 1)

    @Test("the D.5 worked example encodes byte for byte")
    func workedExample() {
        #expect(Self.d5.json.serialized == MirandaFixtures.d5JSON)
        #expect(Self.d5.envelope == MirandaFixtures.d5Payload)
    }

    @Test("decoding reads back what was encoded")
    func roundTrip() throws {
        var message = Self.d5
        message.type = "offer"
        message.sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=rtpmap:96 opus/16000/2\r\n"
        message.globalSeqNum = 208
        #expect(try MirandaMessage(envelope: message.envelope) == message)
        #expect(try MirandaMessage(envelope: MirandaFixtures.d5Payload) == Self.d5)
    }

    @Test("payloads without the D.4 fields are refused, naming the field")
    func missingFields() {
        let noTo = MirandaPayload.envelope(
            senderAccountId: 1, senderPlatformCode: 100_001,
            jsonText: #"{"from":{"account_id":"1","platform":100001},"sdp":"v=0\r\n","type":"offer"}"#)
        #expect(throws: MirandaMessageError.field("to")) { try MirandaMessage(envelope: noTo) }
        #expect(throws: MirandaMessageError.payload(.missingPrefix)) { try MirandaMessage(envelope: "garbage") }
    }
}
