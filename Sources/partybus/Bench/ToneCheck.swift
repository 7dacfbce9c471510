import Foundation

/// Which tone a captured peer carries (`bench voice`): the power of the member's own tone (Goertzel) against the
/// strongest of the other members' tones and of a frequency nobody sends. A peer is heard when its own tone is
/// above `floor` and at least `ratio` times the strongest of the rest, so leakage or a crossed peer cannot pass.
struct ToneCheck: Sendable {
    /// Each member's tone (Hz), by account id.
    var tones: [String: Double]
    /// A frequency no member sends.
    var unused: Double
    /// How much stronger the own tone must be than every other tone and the unused frequency.
    var ratio = 10.0
    /// The least power of the own tone: a sine of amplitude 0.01 (−40 dBFS). The members send 0.3.
    var floor = 0.01 * 0.01 / 4

    /// What one peer carried.
    struct Verdict: Sendable {
        var peer: String
        /// Power of the own tone.
        var own: Double
        /// The strongest other frequency checked, and its power.
        var strongestOther: (hz: Double, power: Double)
        var heard: Bool
        /// own / strongest other (∞ for a silent rest).
        var margin: Double { strongestOther.power > 0 ? own / strongestOther.power : .infinity }
    }

    /// The verdict for `peer`'s samples at `rate`; a peer with no known tone is not heard.
    func verdict(peer: String, samples: [Double], rate: Int) -> Verdict {
        guard let tone = tones[peer], rate > 0, !samples.isEmpty else {
            return Verdict(peer: peer, own: 0, strongestOther: (0, 0), heard: false)
        }
        let own = Self.power(of: tone, in: samples, rate: rate)
        let others = tones.filter { $0.key != peer }.map(\.value) + [unused]
        let strongest = others.map { ($0, Self.power(of: $0, in: samples, rate: rate)) }.max { $0.1 < $1.1 } ?? (unused, 0)
        let heard = own >= floor && own >= ratio * strongest.1
        return Verdict(peer: peer, own: own, strongestOther: (strongest.0, strongest.1), heard: heard)
    }

    /// Power of `frequency` in `samples` (Goertzel, normalised by the sample count: a sine of amplitude A gives A²/4).
    static func power(of frequency: Double, in samples: [Double], rate: Int) -> Double {
        let coefficient = 2 * cos(2 * Double.pi * frequency / Double(rate))
        var previous = 0.0, before = 0.0
        for sample in samples {
            let current = sample + coefficient * previous - before
            before = previous
            previous = current
        }
        let n = Double(samples.count)
        return (previous * previous + before * before - coefficient * previous * before) / (n * n)
    }
}
