import Foundation

/// One sample of the soak as the verdict judges it: when it was taken (minutes since the start), the daemon's
/// footprint from `/proc`, and its C heap as glibc reports it (`/metrics`; nil when the daemon does not say).
struct SoakSample: Sendable {
    var minute: Double
    var footprint: ProcessFootprint
    /// Bytes held by live allocations, in MB (`partybus_heap_in_use_bytes`).
    var heapInUseMB: Double?
    /// Bytes free inside malloc's arenas, in MB (`partybus_heap_free_bytes`).
    var heapFreeMB: Double?
}

/// Whether the samples after warm-up stayed flat. Memory is judged by its trend, not by two points: the
/// least-squares slope of RSS and of its anonymous part over the samples after warm-up, in MB per minute, must stay
/// under `slopeBound`. Descriptors and threads (whole numbers that move with the churn) are judged by the mean of the
/// last third against the first sample after warm-up, within `countTolerance`.
///
/// Why 0.02 MB/min: a sample's RSS moves by a few hundred KB with the churn (jitter buffers, a recording's pages, a
/// peer half torn down), so over 30 one-minute samples the slope's own noise is about ±0.005 MB/min; 0.02 is four of
/// those, and it is less than half of what a 15 KB leak per peer rebuild makes at three rebuilds a minute
/// (0.045 MB/min), so such a leak cannot pass. A run spanning less than `minimumSpan` after warm-up is too short for
/// a slope to mean anything against that bound: it is reported, not judged.
struct SoakVerdict {
    var samples: [SoakSample]
    var warmUp: Int

    /// The largest RSS or anonymous-memory slope still called flat, MB per minute.
    static let slopeBound = 0.02
    /// The least span after warm-up (minutes) over which a slope is judged.
    static let minimumSpan = 10.0
    /// How far descriptors and threads may rise (last third's mean against the first sample after warm-up).
    static let countTolerance = 2.0

    /// The samples after warm-up.
    var judged: [SoakSample] { Array(samples.dropFirst(warmUp)) }

    var line: String {
        let judged = self.judged
        guard judged.count >= 3, let first = judged.first, let last = judged.last else {
            return "verdict: too few samples after \(warmUp) of warm-up to judge (\(judged.count); need 3)"
        }
        let minutes = judged.map(\.minute)
        let rss = LeastSquares(x: minutes, y: judged.map(\.footprint.rssMB))
        let anonymous = LeastSquares(x: minutes, y: judged.map(\.footprint.anonymousMB))
        let heap = judged.allSatisfy { $0.heapInUseMB != nil }
            ? LeastSquares(x: minutes, y: judged.map { $0.heapInUseMB ?? 0 }) : nil
        let tail = judged.suffix(max(1, judged.count / 3))
        let fds = Double(tail.map(\.footprint.fileDescriptors).reduce(0, +)) / Double(tail.count)
        let threads = Double(tail.map(\.footprint.threads).reduce(0, +)) / Double(tail.count)
        var grew: [String] = []
        if rss.slope > Self.slopeBound { grew.append("rss") }
        if anonymous.slope > Self.slopeBound { grew.append("anon") }
        if fds - Double(first.footprint.fileDescriptors) > Self.countTolerance { grew.append("fds") }
        if threads - Double(first.footprint.threads) > Self.countTolerance { grew.append("threads") }
        let span = last.minute - first.minute
        var figures = String(format: "rss %.1f → %.1f MB, slope ", first.footprint.rssMB, last.footprint.rssMB)
            + "\(rss.text) MB/min; "
            + String(format: "anon %.1f → %.1f MB, slope ", first.footprint.anonymousMB, last.footprint.anonymousMB)
            + "\(anonymous.text) MB/min"
        if let heap, let from = first.heapInUseMB, let to = last.heapInUseMB {
            figures += String(format: "; heap in use %.1f → %.1f MB, slope ", from, to) + "\(heap.text) MB/min"
        }
        figures += String(
            format: "; fds %d → %.1f, threads %d → %.1f (mean of the last %d); samples %d–%d, minutes %.1f–%.1f; bound %.2f MB/min",
            first.footprint.fileDescriptors, fds, first.footprint.threads, threads, tail.count, warmUp + 1, samples.count,
            first.minute, last.minute, Self.slopeBound)
        if span < Self.minimumSpan {
            return "verdict: too short to judge the slope (\(SoakChurn.format(span)) min after warm-up; need \(SoakChurn.format(Self.minimumSpan))): \(figures)"
        }
        return grew.isEmpty
            ? "verdict: flat after warm-up: \(figures)"
            : "verdict: GROWING (\(grew.joined(separator: ", "))) after warm-up: \(figures)"
    }
}

/// A least-squares line through points: its slope and the slope's standard error.
struct LeastSquares {
    var slope: Double
    var standardError: Double

    init(x: [Double], y: [Double]) {
        let n = Double(min(x.count, y.count))
        guard n >= 2 else {
            slope = 0
            standardError = .infinity
            return
        }
        let meanX = x.prefix(Int(n)).reduce(0, +) / n, meanY = y.prefix(Int(n)).reduce(0, +) / n
        var sxx = 0.0, sxy = 0.0
        for (a, b) in zip(x, y) {
            sxx += (a - meanX) * (a - meanX)
            sxy += (a - meanX) * (b - meanY)
        }
        guard sxx > 0 else {
            slope = 0
            standardError = .infinity
            return
        }
        let slope = sxy / sxx
        self.slope = slope
        let residuals = zip(x, y).map { a, b in b - meanY - slope * (a - meanX) }
        standardError = n > 2 ? (residuals.map { $0 * $0 }.reduce(0, +) / (n - 2)).squareRoot() / sxx.squareRoot() : .infinity
    }

    /// "+0.012 ± 0.004".
    var text: String {
        standardError.isFinite ? String(format: "%+.3f ± %.3f", slope, standardError) : String(format: "%+.3f", slope)
    }
}
