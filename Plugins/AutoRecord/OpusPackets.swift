/// What the recorder needs to know of Opus packets (RFC 6716 §3.1) and the Ogg Opus headers (RFC 7845 §5).
public enum OpusPackets {
    /// Samples at 48 kHz one packet holds: frame size from the TOC's config, times the frame count (code 0: 1,
    /// codes 1–2: 2, code 3: the count byte). Nil for a packet too short to say.
    public static func samples(_ packet: [UInt8]) -> Int? {
        guard let toc = packet.first else { return nil }
        let config = Int(toc >> 3)
        let frame: Int
        switch config {
        case 0...11: frame = [480, 960, 1920, 2880][config % 4]  // SILK: 10, 20, 40, 60 ms
        case 12...15: frame = [480, 960][config % 2]  // hybrid: 10, 20 ms
        default: frame = [120, 240, 480, 960][config % 4]  // CELT: 2.5, 5, 10, 20 ms
        }
        switch toc & 0x03 {
        case 0: return frame
        case 1, 2: return frame * 2
        default:
            guard packet.count >= 2 else { return nil }
            let count = Int(packet[1] & 0x3F)
            guard count > 0, frame * count <= 5760 else { return nil }
            return frame * count
        }
    }

    /// Whether the TOC says stereo.
    public static func isStereo(_ packet: [UInt8]) -> Bool { (packet.first ?? 0) & 0x04 != 0 }

    /// 20 ms of silence (CELT-only fullband, mono, one frame, the smallest frame an Opus decoder renders as silence).
    public static let silence: [UInt8] = [0xF8, 0xFF, 0xFE]
    /// Samples in `silence`.
    public static let silenceSamples = 960

    /// The `OpusHead` packet: version 1, channels, no pre-skip (packets are stored as they came, so nothing of the
    /// encoder's start is ours to trim), 48 kHz, gain 0, mapping family 0.
    public static func head(channels: Int) -> [UInt8] {
        Array("OpusHead".utf8) + [1, UInt8(max(1, min(channels, 2)))] + [0, 0] + OggPage.littleEndian(48000, bytes: 4) + [0, 0, 0]
    }

    /// The `OpusTags` packet: vendor `partybus` and `KEY=value` comments.
    public static func tags(_ comments: [String]) -> [UInt8] {
        let vendor = Array("partybus".utf8)
        var packet = Array("OpusTags".utf8) + OggPage.littleEndian(UInt64(vendor.count), bytes: 4) + vendor
        packet += OggPage.littleEndian(UInt64(comments.count), bytes: 4)
        for comment in comments {
            let bytes = Array(comment.utf8)
            packet += OggPage.littleEndian(UInt64(bytes.count), bytes: 4) + bytes
        }
        return packet
    }
}
