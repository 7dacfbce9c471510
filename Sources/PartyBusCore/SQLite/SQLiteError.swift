/// A failure reported by SQLite, with the operation and the file it concerns.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// SQLite's primary result code.
    public let code: Int32
    /// What was being done, SQLite's message, and the file.
    public let message: String

    /// Makes an error.
    public init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
