/// A message a peer sent us on a topic.
public struct ReceivedMessage: Sendable, Hashable {
    /// The sender's peer id.
    public let peer: String
    /// The topic.
    public let topic: String
    /// The body bytes.
    public let body: [UInt8]
}
