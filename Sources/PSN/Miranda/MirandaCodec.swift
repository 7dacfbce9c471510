import Foundation

/// The inner JSON (D.4) with its exact key names; encoded compactly with sorted keys.
private struct InnerJSON: Codable {
    struct Media: Codable {
        struct Record: Codable {
            var media_identifier: String
            var mid: String
        }
        var media_records: [Record]
        var msids: [String]
        var user: MirandaMessage.User
    }

    var from: MirandaMessage.User
    var global_seq_num: Int
    var medias: [Media]
    var sdp: String
    var sdp_sequence_number: String
    var to: MirandaMessage.User
    var type: MirandaMessage.Kind
    var users: [MirandaMessage.User]
}

extension MirandaMessage {
    /// The mid of the SDP's first audio section: `media_records[].mid` names it (D.4: `"0"` in the app's SDPs).
    var audioMid: String? {
        var inAudio = false
        for line in sdp.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            if line.hasPrefix("m=") { inAudio = line.hasPrefix("m=audio ") }
            if inAudio, line.hasPrefix("a=mid:") { return String(line.dropFirst("a=mid:".count)) }
        }
        return nil
    }

    /// D.6 encode: compact sorted JSON, `1/1/1\n` framing, the 44-byte little-endian header, base64, the prefix.
    public func payload() throws -> String {
        guard let sender = UInt64(from.accountId), from.accountId.allSatisfy(\.isASCII) else {
            throw MirandaError("sender account id '\(from.accountId)' is not a decimal u64")
        }
        let inner = InnerJSON(
            from: from, global_seq_num: globalSequenceNumber,
            medias: [.init(media_records: [.init(media_identifier: "voice_chat", mid: audioMid ?? "0")], msids: ["0"], user: from)],
            sdp: sdp, sdp_sequence_number: sdpSequenceNumber, to: to, type: kind, users: [from])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(inner)
        var text = Data(MirandaMessage.framing)
        text.append(json)
        var binary = Data()
        binary.reserveCapacity(MirandaMessage.headerSize + text.count)
        func appendLE<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { binary.append(contentsOf: $0) }
        }
        appendLE(UInt64(1))
        appendLE(UInt64(1))
        appendLE(sender)
        appendLE(UInt64(from.platform))
        binary.append(contentsOf: [UInt8](repeating: 0, count: 8))
        appendLE(UInt32(text.count))
        binary.append(text)
        return MirandaMessage.prefix + binary.base64EncodedString()
    }

    /// D.6 decode: prefix, base64, length ≥ 50, the u32 at 40 equals the rest, `1/1/1\n`, JSON. Each failure names
    /// its step; the header's sender must agree with `from` in the JSON.
    public init(payload: String) throws {
        guard payload.hasPrefix(MirandaMessage.prefix) else {
            throw MirandaError("payload does not start with '\(MirandaMessage.prefix)'")
        }
        guard let binary = Data(base64Encoded: String(payload.dropFirst(MirandaMessage.prefix.count))) else {
            throw MirandaError("body is not valid base64")
        }
        let bytes = [UInt8](binary)
        guard bytes.count >= MirandaMessage.headerSize + MirandaMessage.framing.count else {
            throw MirandaError("body is \(bytes.count) bytes; at least 50 expected (44-byte header + 1/1/1)")
        }
        func readLE(_ offset: Int, _ size: Int) -> UInt64 {
            (0..<size).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
        let textLength = Int(readLE(40, 4))
        guard textLength == bytes.count - MirandaMessage.headerSize else {
            throw MirandaError("header says \(textLength) text bytes, body has \(bytes.count - MirandaMessage.headerSize)")
        }
        guard Array(bytes[44..<50]) == MirandaMessage.framing else {
            throw MirandaError("text does not start with 1/1/1\\n")
        }
        let inner: InnerJSON
        do {
            inner = try JSONDecoder().decode(InnerJSON.self, from: Data(bytes[50...]))
        } catch {
            throw MirandaError("inner JSON: \(error)")
        }
        guard String(readLE(16, 8)) == inner.from.accountId else {
            throw MirandaError("header sender \(readLE(16, 8)) differs from from.account_id \(inner.from.accountId)")
        }
        self.init(
            kind: inner.type, from: inner.from, to: inner.to, globalSequenceNumber: inner.global_seq_num, sdp: inner.sdp,
            sdpSequenceNumber: inner.sdp_sequence_number)
    }
}
