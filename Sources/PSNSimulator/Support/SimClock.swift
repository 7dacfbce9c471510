import Foundation

/// The simulator's wall clock: either the real time or a fixed start, plus an offset tests can advance.
struct SimClock: Sendable {
    /// Fixed epoch milliseconds, or `nil` to follow the real clock.
    var fixedEpochMs: Int64?
    /// Milliseconds added to the base time (admin `POST /sim/admin/clock`).
    var offsetMs: Int64 = 0

    /// Current epoch milliseconds.
    func nowMs() -> Int64 {
        let base = fixedEpochMs ?? Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        return base + offsetMs
    }
}
