/// The mixed track: the party mix as 16-bit mono PCM at 48 kHz in a WAV file, written as it comes (the plugin has no
/// encoder; exports cook it). Sizes in the header say "unknown" (0xFFFFFFFF) until `finish()` writes the real ones,
/// so a file cut by a crash still reads to its last sample (and repair writes the sizes).
final class WAVTrack {
    let file: AppendOnlyFile
    private(set) var samples: Int64 = 0
    private var pending: [UInt8] = []
    static let rate = 48_000

    init(path: String) throws {
        file = try AppendOnlyFile(creating: path)
        try file.append(Self.header(dataBytes: 0xFFFF_FFFF))
    }

    /// A 44-byte header for `dataBytes` of mono S16LE at 48 kHz.
    static func header(dataBytes: UInt32) -> [UInt8] {
        let riff = dataBytes == 0xFFFF_FFFF ? dataBytes : dataBytes &+ 36
        return Array("RIFF".utf8) + OggPage.littleEndian(UInt64(riff), bytes: 4) + Array("WAVEfmt ".utf8)
            + OggPage.littleEndian(16, bytes: 4) + [1, 0, 1, 0] + OggPage.littleEndian(UInt64(rate), bytes: 4)
            + OggPage.littleEndian(UInt64(rate * 2), bytes: 4) + [2, 0, 16, 0] + Array("data".utf8)
            + OggPage.littleEndian(UInt64(dataBytes), bytes: 4)
    }

    /// Appends mono samples (already at 48 kHz) that play at sample `position` (nil: right after); a gap of more
    /// than 30 ms is filled with zeros first; samples that would overlap what is written by more than that are
    /// dropped from the front.
    func append(_ mono: [Int16], at position: Int64?) throws {
        var mono = mono[...]
        if let position {
            let gap = position - samples
            if gap > 1_440 { try silence(Int(gap)) }
            else if gap < -1_440 { mono = mono.dropFirst(min(Int(-gap), mono.count)) }
        }
        pending.reserveCapacity(pending.count + mono.count * 2)
        for sample in mono {
            let bits = UInt16(bitPattern: sample)
            pending.append(UInt8(bits & 0xFF))
            pending.append(UInt8(bits >> 8))
        }
        samples += Int64(mono.count)
        if pending.count >= Self.rate { try flush() }
    }

    /// Zeros up to `position`.
    func fillSilence(upTo position: Int64) throws {
        if position - samples > 1_440 { try silence(Int(position - samples)) }
    }

    private func silence(_ count: Int) throws {
        pending += [UInt8](repeating: 0, count: count * 2)
        samples += Int64(count)
        if pending.count >= Self.rate { try flush() }
    }

    func flush() throws {
        guard !pending.isEmpty else { return }
        try file.append(pending)
        pending = []
    }

    /// Writes the sizes and closes.
    func finish() throws {
        try flush()
        let data = UInt32(clamping: samples * 2)
        try file.overwrite(Self.header(dataBytes: data), at: 0)
        file.close()
    }

    var seconds: Double { Double(samples) / Double(Self.rate) }
}
