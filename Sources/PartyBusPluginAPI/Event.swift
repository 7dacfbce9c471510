public import Foundation

/// One fact in the event log: immutable, ordered by `seq`, its payload a JSON document.
public struct Event: Sendable, Hashable {
    /// Global position in the log, assigned when the event is appended (1, 2, 3 … with no gaps).
    public let seq: UInt64
    /// Wall-clock time of the append, in milliseconds since 1970.
    public let at: Int64
    /// The stream the event belongs to: `auth`, `party/<sessionId>`, `push`, `voice/<sessionId>`, `plugin/<name>` …
    public let stream: String
    /// Dotted event type from the catalogue (`docs/events.md`), e.g. `party.member_joined`.
    public let type: String
    /// Version of the payload schema for this type.
    public let version: Int
    /// Where the event came from.
    public let source: EventSource
    /// Ties related events together (a request id, or `seq:<n>` of the event a plugin reacted to).
    public let correlation: String?
    /// The payload as UTF-8 JSON text (always a JSON object).
    public let payload: Data

    /// Makes an event; only the log and decoders of recorded events call this.
    public init(
        seq: UInt64, at: Int64, stream: String, type: String, version: Int,
        source: EventSource, correlation: String?, payload: Data
    ) {
        self.seq = seq
        self.at = at
        self.stream = stream
        self.type = type
        self.version = version
        self.source = source
        self.correlation = correlation
        self.payload = payload
    }

    /// Decodes the payload into its typed form.
    public func decode<Payload: Decodable>(_ type: Payload.Type = Payload.self) throws -> Payload {
        do {
            return try JSONDecoder().decode(Payload.self, from: payload)
        } catch {
            throw EventPayloadError(
                message: "event #\(seq) (\(self.type)): payload does not decode as \(Payload.self): \(error)")
        }
    }

    /// The payload as a JSON string, for display.
    public var payloadText: String { String(decoding: payload, as: UTF8.self) }
}

/// Where an event came from: the real world, the built-in simulator, or a replay of a recorded log.
public enum EventSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// Produced while talking to the real PSN (or other real peers).
    case live
    /// Produced while running against the built-in simulator.
    case sim
    /// Re-emitted by `partybus replay` from a recorded log.
    case replay
}

/// A payload that is not what its event type promises.
public struct EventPayloadError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, naming the event.
    public let message: String
    /// Makes the error.
    public init(message: String) { self.message = message }
    public var description: String { message }
}
