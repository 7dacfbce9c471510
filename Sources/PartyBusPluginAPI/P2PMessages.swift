public import Foundation

/// `p2p.message_received`: a message from a P2P peer on a topic (the daemon's P2P node appends it).
public struct P2PMessageReceived: EventPayload, Equatable {
    public static let eventType = "p2p.message_received"
    /// The sender's peer id.
    public let peer: String
    /// The topic, e.g. `league.skins`.
    public let topic: String
    /// The message (JSON the sender encoded).
    public let body: JSONValue

    /// Makes a payload.
    public init(peer: String, topic: String, body: JSONValue) {
        self.peer = peer
        self.topic = topic
        self.body = body
    }
}

/// `p2p.send_requested`: asks the daemon's P2P node to send a message to one peer, or every connected peer when
/// `peer` is nil. Plugins publish it; the node follows the log and sends (`p2p.send_failed` when it cannot).
public struct P2PSendRequested: EventPayload, Equatable {
    public static let eventType = "p2p.send_requested"
    /// The recipient's peer id, or nil for all.
    public let peer: String?
    /// The topic.
    public let topic: String
    /// The message.
    public let body: JSONValue

    /// Makes a request.
    public init(peer: String?, topic: String, body: JSONValue) {
        self.peer = peer
        self.topic = topic
        self.body = body
    }
}

/// A typed P2P topic for plugins: encode a `Codable` message to send, decode received events back to it.
///
/// ```swift
/// let skins = P2PTopic<SkinChoice>("league.skins")
/// try await skins.send(SkinChoice(champion: 1, skin: 3), using: context)       // to every friend
/// if let (peer, choice) = try skins.message(in: event) { … }                    // in handle(_:)
/// ```
public struct P2PTopic<Message: Codable & Sendable>: Sendable {
    /// The topic name (1–64 characters of [A-Za-z0-9._-]).
    public let name: String

    /// Makes a topic.
    public init(_ name: String) { self.name = name }

    /// Asks the node to send a message to one peer (or all when `peer` is nil).
    public func send(_ message: Message, to peer: String? = nil, using context: any PluginContext) async throws {
        let body = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(message))
        _ = try await context.publish(P2PSendRequested(peer: peer, topic: name, body: body))
    }

    /// The sender and message when the event is a message on this topic; throws when its body does not decode.
    public func message(in event: Event) throws -> (peer: String, message: Message)? {
        guard event.type == P2PMessageReceived.eventType else { return nil }
        let received = try JSONDecoder().decode(P2PMessageReceived.self, from: event.payload)
        guard received.topic == name else { return nil }
        let message = try JSONDecoder().decode(Message.self, from: JSONEncoder().encode(received.body))
        return (received.peer, message)
    }
}
