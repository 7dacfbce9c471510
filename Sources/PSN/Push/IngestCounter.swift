import Synchronization

/// Counts the push client's frame ingests begun and finished, so a party re-read can tell whether frames were
/// translated and appended while its read was in flight — its answer may then be older than they are.
public final class IngestCounter: Sendable {
    private let counts = Mutex((started: UInt64(0), finished: UInt64(0)))

    /// A counter at zero.
    public init() {}

    func begin() { counts.withLock { $0.started += 1 } }
    func end() { counts.withLock { $0.finished += 1 } }

    /// Ingests begun and finished so far.
    var current: (started: UInt64, finished: UInt64) { counts.withLock { $0 } }
}
