import Synchronization

/// Keeps automated calls to one endpoint at least `interval` apart (F.4: never burst).
final class Throttle: Sendable {
    private let interval: Duration
    private let next = Mutex<[String: ContinuousClock.Instant]>([:])

    init(interval: Duration) { self.interval = interval }

    /// Waits until `endpoint` may be called, and reserves the slot.
    func wait(for endpoint: String) async throws {
        let now = ContinuousClock.now
        let slot = next.withLock { next -> ContinuousClock.Instant in
            let slot = max(now, next[endpoint] ?? now)
            next[endpoint] = slot + interval
            return slot
        }
        if slot > now { try await Task.sleep(until: slot, clock: .continuous) }
    }
}
