/// One speaker's track: Opus packets exactly as they came, in an Ogg Opus file whose sample 0 is the recording's
/// start. A packet that arrives later than the samples written so far is preceded by 20 ms silence packets until
/// it sits where its timestamp says (so a member who joins late, a gap in their stream or DTX keep every track
/// aligned to one clock). Pages go to disk at least every `pageSamples` of audio and on every `flush()`.
final class OggOpusTrack {
    let file: AppendOnlyFile
    private let serial: UInt32
    private var sequence: UInt32 = 0
    private var pending: [[UInt8]] = []
    private var pendingLacing = 0
    private var pendingSamples = 0
    /// Samples written (packets in `pending` included): the granule after the last packet.
    private(set) var samples: Int64 = 0
    private(set) var packets = 0
    private(set) var silencePackets = 0
    private let pageSamples: Int

    /// Creates the file and writes the two header pages.
    init(path: String, channels: Int, comments: [String], serial: UInt32, pageSamples: Int = 24_000) throws {
        file = try AppendOnlyFile(creating: path)
        self.serial = serial
        self.pageSamples = pageSamples
        try writePage([OpusPackets.head(channels: channels)], granule: 0, flags: OggPage.beginOfStream)
        try writePage([OpusPackets.tags(comments)], granule: 0, flags: 0)
    }

    /// Appends `packet`, which plays at sample `position` of the recording (nil: right after the previous one).
    /// A gap is filled first with as many 20 ms silence packets as are nearest to it (so the packet lands within
    /// 10 ms of its time; jitter under 10 ms adds nothing). Packets that do not parse as Opus are refused.
    @discardableResult
    func append(_ packet: [UInt8], at position: Int64?) throws -> Bool {
        guard let count = OpusPackets.samples(packet), packet.count <= 255 * 250 else { return false }
        if let position {
            let gap = position - samples
            if gap > Int64(OpusPackets.silenceSamples / 2) {
                try fillSilence(upTo: samples + (gap + Int64(OpusPackets.silenceSamples / 2)) / Int64(OpusPackets.silenceSamples) * Int64(OpusPackets.silenceSamples))
            }
        }
        try add(packet, samples: count)
        packets += 1
        return true
    }

    /// Writes silence up to sample `position` (less than 20 ms short).
    func fillSilence(upTo position: Int64) throws {
        while position - samples >= Int64(OpusPackets.silenceSamples) {
            try add(OpusPackets.silence, samples: OpusPackets.silenceSamples)
            silencePackets += 1
        }
    }

    private func add(_ packet: [UInt8], samples count: Int) throws {
        if pendingLacing + OggPage.lacingCount(packet.count) > 255 { try flush() }
        pending.append(packet)
        pendingLacing += OggPage.lacingCount(packet.count)
        pendingSamples += count
        samples += Int64(count)
        if pendingSamples >= pageSamples { try flush() }
    }

    /// Writes what is pending as one page.
    func flush(flags: UInt8 = 0) throws {
        guard !pending.isEmpty else { return }
        try writePage(pending, granule: samples, flags: flags)
        pending = []
        pendingLacing = 0
        pendingSamples = 0
    }

    /// Ends the stream (the last page carries end-of-stream) and closes the file.
    func finish() throws {
        if pending.isEmpty { try add(OpusPackets.silence, samples: OpusPackets.silenceSamples) }
        try flush(flags: OggPage.endOfStream)
        file.close()
    }

    private func writePage(_ packets: [[UInt8]], granule: Int64, flags: UInt8) throws {
        try file.append(OggPage.make(packets: packets, granule: granule, serial: serial, sequence: sequence, flags: flags))
        sequence += 1
    }

    /// Seconds written.
    var seconds: Double { Double(samples) / 48_000 }
}
