/// An error from the P2P module: what went wrong and where, never a key or secret.
public struct P2PError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What failed, in words a user can act on.
    public let message: String

    /// Makes an error with its message.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
