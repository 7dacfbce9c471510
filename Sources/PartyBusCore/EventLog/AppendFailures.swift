import PartyBusPluginAPI

/// `log.append_failed`: appends failed (the disk was full, an I/O error …) and were answered with that error; written
/// as the first row of the next transaction that commits, so the log itself says that, when and why it has a hole
/// in what happened (the events themselves were never acknowledged to anyone).
public struct LogAppendFailed: EventPayload, Equatable {
    public static let eventType = "log.append_failed"
    /// Events whose append failed.
    public var failedEvents: Int
    /// Transactions that failed (a plugin checkpoint alone is one too).
    public var failedCommits: Int
    /// When the first and the last of them failed (ms since 1970).
    public var firstFailedAt: Int64
    public var lastFailedAt: Int64
    /// The last error, naming the file (e.g. `…/events.sqlite: step: database or disk is full`).
    public var error: String

    /// Makes the payload.
    public init(failedEvents: Int, failedCommits: Int, firstFailedAt: Int64, lastFailedAt: Int64, error: String) {
        self.failedEvents = failedEvents
        self.failedCommits = failedCommits
        self.firstFailedAt = firstFailedAt
        self.lastFailedAt = lastFailedAt
        self.error = error
    }

    /// Counts one more failed transaction of `events` events.
    mutating func add(events: Int, at: Int64, error: String) {
        failedEvents += events
        failedCommits += 1
        lastFailedAt = at
        self.error = error
    }
}
