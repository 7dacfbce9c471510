/// A STUN datagram that is not a well-formed message: what is wrong and at which byte.
public struct StunParseError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong.
    public let reason: String
    /// The byte offset in the datagram where it was found.
    public let offset: Int

    /// Makes an error.
    public init(_ reason: String, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "STUN message rejected at byte \(offset): \(reason)" }
}
