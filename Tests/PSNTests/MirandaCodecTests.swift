import Foundation
import PSN
import Testing

@Suite("miranda:12 codec")
struct MirandaCodecTests {
    static let workedExample = "ver=1.0, type=binary, body=AQAAAAAAAAABAAAAAAAAABWB6X30ECIRoYYBAAAAAAAAAAAAAAAAAKEBAAAxLzEvMQp7ImZyb20iOnsiYWNjb3VudF9pZCI6IjEyMzQ1Njc4OTAxMjM0NTY3ODkiLCJwbGF0Zm9ybSI6MTAwMDAxfSwiZ2xvYmFsX3NlcV9udW0iOjEsIm1lZGlhcyI6W3sibWVkaWFfcmVjb3JkcyI6W3sibWVkaWFfaWRlbnRpZmllciI6InZvaWNlX2NoYXQiLCJtaWQiOiIwIn1dLCJtc2lkcyI6WyIwIl0sInVzZXIiOnsiYWNjb3VudF9pZCI6IjEyMzQ1Njc4OTAxMjM0NTY3ODkiLCJwbGF0Zm9ybSI6MTAwMDAxfX1dLCJzZHAiOiJ2PTBcclxuIiwic2RwX3NlcXVlbmNlX251bWJlciI6IjEiLCJ0byI6eyJhY2NvdW50X2lkIjoiMTExMTExMTExMTExMTExMTExMSIsInBsYXRmb3JtIjo1fSwidHlwZSI6ImFuc3dlciIsInVzZXJzIjpbeyJhY2NvdW50X2lkIjoiMTIzNDU2Nzg5MDEyMzQ1Njc4OSIsInBsYXRmb3JtIjoxMDAwMDF9XX0="

    static let message = MirandaMessage(
        kind: .answer, from: .init(accountId: "1234567890123456789", platform: 100_001),
        to: .init(accountId: "1111111111111111111", platform: 5), globalSequenceNumber: 1, sdp: "v=0\r\n")

    @Test("encoding the D.5 worked example gives its payload byte for byte")
    func encodeWorkedExample() throws {
        let payload = try Self.message.payload()
        #expect(payload == Self.workedExample)
        let binary = try #require(Data(base64Encoded: String(payload.dropFirst(MirandaMessage.prefix.count))))
        #expect(binary.count == 461)
        let header: String = binary.prefix(44).map { String(format: "%02x", $0) }.joined()
        let expected: String = [
            "0100000000000000", "0100000000000000", "1581e97df4102211", "a186010000000000", "0000000000000000", "a1010000",
        ].joined()
        #expect(header == expected)
    }

    @Test("decoding the worked example and the sample file gives the message back")
    func decode() throws {
        #expect(try MirandaMessage(payload: Self.workedExample) == Self.message)
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/psn-samples/miranda12-payload-example.json").standardized
        let sample = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let body = try #require(sample["restRequestBody"] as? [String: Any])
        let payload = try #require(body["payload"] as? String)
        let decoded = try MirandaMessage(payload: payload)
        #expect(decoded.sdp.hasPrefix("v=0\r\n"))
        #expect(decoded.from.accountId == "1234567890123456789")
        // Re-encoding gives the same bytes.
        #expect(try decoded.payload() == payload)
    }

    @Test("every malformed payload names the D.6 step that failed")
    func malformed() throws {
        let cases: [(String, String)] = [
            ("hello", "does not start with"),
            (MirandaMessage.prefix + "!!!", "not valid base64"),
            (MirandaMessage.prefix + Data(repeating: 0, count: 20).base64EncodedString(), "at least 50"),
        ]
        for (payload, expected) in cases {
            #expect { try MirandaMessage(payload: payload) } throws: { "\($0)".contains(expected) }
        }
        var binary = try #require(Data(base64Encoded: String(Self.workedExample.dropFirst(MirandaMessage.prefix.count))))
        binary[40] = 0x00
        #expect { try MirandaMessage(payload: MirandaMessage.prefix + binary.base64EncodedString()) } throws: {
            "\($0)".contains("text bytes")
        }
        binary[40] = 0xa1
        binary[44] = UInt8(ascii: "2")
        #expect { try MirandaMessage(payload: MirandaMessage.prefix + binary.base64EncodedString()) } throws: {
            "\($0)".contains("1/1/1")
        }
        binary[44] = UInt8(ascii: "1")
        binary[16] = 0x16
        #expect { try MirandaMessage(payload: MirandaMessage.prefix + binary.base64EncodedString()) } throws: {
            "\($0)".contains("header sender")
        }
    }
}
