import Foundation

/// What the audio tests measure in recordings: WAV files read back (16-bit PCM or 32-bit float) and the power of
/// one frequency (Goertzel), so a test checks which tone is there, not just that bytes were written.
public enum AudioAnalysis {
    /// The samples of a WAV file (interleaved, as −1…1), its rate and channel count. A header whose data size was
    /// never finalised counts everything after it.
    public static func readWAV(_ path: String) throws -> (samples: [Double], rate: Int, channels: Int) {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u16(_ at: Int) -> Int { Int(data[at]) | Int(data[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        var offset = 12
        var format = 0, channels = 0, rate = 0, bits = 0
        var samples: [Double] = []
        while offset + 8 <= data.count {
            let id = String(decoding: data[offset..<offset + 4], as: UTF8.self)
            var size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt " {
                format = u16(body); channels = u16(body + 2); rate = u32(body + 4); bits = u16(body + 14)
            } else if id == "data" {
                if size == 0 || body + size > data.count { size = data.count - body }
                let step = max(bits / 8, 1)
                var at = body
                while at + step <= body + size {
                    if format == 3 && bits == 32 {
                        samples.append(Double(Float(bitPattern: UInt32(u32(at)))))
                    } else if bits == 16 {
                        samples.append(Double(Int16(bitPattern: UInt16(u16(at)))) / 32768)
                    }
                    at += step
                }
            }
            offset = body + size + (size % 2)
        }
        return (samples, rate, max(channels, 1))
    }

    /// The first channel of a WAV file and its rate.
    public static func mono(_ path: String) throws -> (samples: [Double], rate: Int) {
        let wav = try readWAV(path)
        return (stride(from: 0, to: wav.samples.count, by: wav.channels).map { wav.samples[$0] }, wav.rate)
    }

    /// Power of `frequency` in `samples` (Goertzel), 0 for no samples.
    public static func power(of frequency: Double, in samples: ArraySlice<Double>, rate: Int) -> Double {
        guard !samples.isEmpty, rate > 0 else { return 0 }
        let coefficient = 2 * cos(2 * Double.pi * frequency / Double(rate))
        var previous = 0.0, before = 0.0
        for sample in samples {
            let current = sample + coefficient * previous - before
            before = previous
            previous = current
        }
        return (previous * previous + before * before - coefficient * previous * before) / Double(samples.count)
    }

    /// Power of `frequency` in the last `seconds` of a WAV file's first channel.
    public static func tail(_ path: String, _ frequency: Double, seconds: Double = 1) throws -> Double {
        let (samples, rate) = try mono(path)
        return power(of: frequency, in: samples.suffix(Int(seconds * Double(rate))), rate: rate)
    }

    /// The highest power of `frequency` in any `seconds`-long window of a WAV file's first channel (windows overlap
    /// by half), so a recording that went on in silence after the call still shows what it heard during it.
    public static func strongest(_ path: String, _ frequency: Double, seconds: Double = 1) throws -> Double {
        let (samples, rate) = try mono(path)
        let window = max(Int(seconds * Double(rate)), 1)
        guard samples.count > window else { return power(of: frequency, in: samples[...], rate: rate) }
        return stride(from: 0, through: samples.count - window, by: max(window / 2, 1)).map {
            power(of: frequency, in: samples[$0..<$0 + window], rate: rate)
        }.max() ?? 0
    }

    /// Seconds of audio in a WAV file.
    public static func duration(_ path: String) throws -> Double {
        let wav = try readWAV(path)
        return wav.rate == 0 ? 0 : Double(wav.samples.count / wav.channels) / Double(wav.rate)
    }
}
