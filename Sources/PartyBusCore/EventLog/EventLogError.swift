/// Errors of the event log that are not SQLite's own.
public struct EventLogError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let message: String

    /// Makes an error.
    public init(_ message: String) { self.message = message }

    /// The log was closed before the request was written.
    public static let closed = EventLogError("the event log is closed")

    /// Another process appended to the log under this writer: it stops rather than write over rows it did not
    /// write (one writer per data folder; `partybus up` holds the folder's lock).
    public static func headMoved(path: String, expected: UInt64, found: UInt64) -> EventLogError {
        EventLogError(
            "\(path): another process appended to this event log (its head moved from \(expected) to \(found) under "
                + "this writer); stopping instead of writing over it — only one partybus may write a data folder")
    }

    public var description: String { message }
}
