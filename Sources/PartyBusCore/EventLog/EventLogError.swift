/// Errors of the event log that are not SQLite's own.
public struct EventLogError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let message: String

    /// Makes an error.
    public init(_ message: String) { self.message = message }

    /// The log was closed before the request was written.
    public static let closed = EventLogError("the event log is closed")

    public var description: String { message }
}
