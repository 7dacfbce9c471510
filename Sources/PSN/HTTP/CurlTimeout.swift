/// Turns a `Duration` into the whole milliseconds curl's `*_TIMEOUT_MS` options take.
///
/// Curl reads `0` as "no timeout at all", so a positive duration never becomes 0: it is rounded up to the next whole
/// millisecond (250 ms stays 250, 1.5 µs becomes 1). A zero or negative duration is 1 ms too: a caller who asked
/// for no time gets none, never forever. Durations beyond `Int.max` ms are clamped.
enum CurlTimeout {
    /// Milliseconds for curl, ≥ 1.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds > 0 || (seconds == 0 && attoseconds > 0) else { return 1 }
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        let (wholeMillis, rest) = attoseconds.quotientAndRemainder(dividingBy: attosecondsPerMillisecond)
        let (fromSeconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return Int.max }
        let (total, overflowAdding) = fromSeconds.addingReportingOverflow(wholeMillis + (rest > 0 ? 1 : 0))
        guard !overflowAdding, total <= Int64(Int.max) else { return Int.max }
        return max(1, Int(total))
    }
}
