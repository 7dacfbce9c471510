/// Ogg pages (RFC 3533), written by hand: the recorder decides exactly when a page goes to disk (at least every
/// second, crash-safe) and which granule position it carries, which a muxer element would decide for itself.
public enum OggPage {
    /// Header flags.
    public static let continued: UInt8 = 0x01, beginOfStream: UInt8 = 0x02, endOfStream: UInt8 = 0x04

    /// The CRC of Ogg (polynomial 0x04C11DB7, MSB first, no reflection, initial 0, no final xor).
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index) << 24
        for _ in 0..<8 { value = value & 0x8000_0000 != 0 ? (value << 1) ^ 0x04C1_1DB7 : value << 1 }
        return value
    }

    /// The CRC of `bytes`.
    public static func crc<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0
        for byte in bytes { crc = (crc << 8) ^ table[Int(((crc >> 24) & 0xFF) ^ UInt32(byte))] }
        return crc
    }

    /// One page holding whole `packets` (each at most 255 × 255 bytes, at most 255 lacing values in all).
    public static func make(packets: [[UInt8]], granule: Int64, serial: UInt32, sequence: UInt32, flags: UInt8) -> [UInt8] {
        var lacing: [UInt8] = []
        for packet in packets {
            lacing.append(contentsOf: [UInt8](repeating: 255, count: packet.count / 255))
            lacing.append(UInt8(packet.count % 255))
        }
        var page: [UInt8] = Array("OggS".utf8) + [0, flags]
        page += littleEndian(UInt64(bitPattern: granule), bytes: 8)
        page += littleEndian(UInt64(serial), bytes: 4)
        page += littleEndian(UInt64(sequence), bytes: 4)
        page += [0, 0, 0, 0]
        page.append(UInt8(lacing.count))
        page += lacing
        for packet in packets { page += packet }
        let checksum = crc(page)
        page[22] = UInt8(checksum & 0xFF)
        page[23] = UInt8((checksum >> 8) & 0xFF)
        page[24] = UInt8((checksum >> 16) & 0xFF)
        page[25] = UInt8(checksum >> 24)
        return page
    }

    /// Lacing values a packet of `count` bytes needs.
    static func lacingCount(_ count: Int) -> Int { count / 255 + 1 }

    static func littleEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).map { UInt8((value >> (8 * UInt64($0))) & 0xFF) }
    }

    /// One page found in a file: where it starts, its length, flags, granule and whether its CRC holds.
    public struct Parsed: Sendable, Equatable {
        /// Offset of `OggS`.
        public var offset: Int
        /// Header and body.
        public var length: Int
        /// Header flags.
        public var flags: UInt8
        /// Granule position.
        public var granule: Int64
        /// Page sequence number.
        public var sequence: UInt32
    }

    /// The valid pages at the start of `data`, in order, stopping at the first torn or corrupt one.
    public static func scan(_ data: [UInt8]) -> [Parsed] {
        var pages: [Parsed] = []
        var offset = 0
        while offset + 27 <= data.count {
            guard data[offset] == 0x4F, data[offset + 1] == 0x67, data[offset + 2] == 0x67, data[offset + 3] == 0x53,
                data[offset + 4] == 0
            else { break }
            let segments = Int(data[offset + 26])
            guard offset + 27 + segments <= data.count else { break }
            let body = data[(offset + 27)..<(offset + 27 + segments)].reduce(0) { $0 + Int($1) }
            let length = 27 + segments + body
            guard offset + length <= data.count else { break }
            var page = Array(data[offset..<(offset + length)])
            let stored = UInt32(page[22]) | UInt32(page[23]) << 8 | UInt32(page[24]) << 16 | UInt32(page[25]) << 24
            page[22] = 0; page[23] = 0; page[24] = 0; page[25] = 0
            guard crc(page) == stored else { break }
            var granule: UInt64 = 0
            for index in 0..<8 { granule |= UInt64(page[6 + index]) << (8 * UInt64(index)) }
            var sequence: UInt32 = 0
            for index in 0..<4 { sequence |= UInt32(page[18 + index]) << (8 * UInt32(index)) }
            pages.append(Parsed(offset: offset, length: length, flags: page[5], granule: Int64(bitPattern: granule), sequence: sequence))
            offset += length
        }
        return pages
    }

    /// `page` (a whole page's bytes) with `flags` and its CRC recomputed.
    public static func rewritten(_ page: [UInt8], flags: UInt8) -> [UInt8] {
        var page = page
        page[5] = flags
        page[22] = 0; page[23] = 0; page[24] = 0; page[25] = 0
        let checksum = crc(page)
        page[22] = UInt8(checksum & 0xFF)
        page[23] = UInt8((checksum >> 8) & 0xFF)
        page[24] = UInt8((checksum >> 16) & 0xFF)
        page[25] = UInt8(checksum >> 24)
        return page
    }
}
