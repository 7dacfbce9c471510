public import Foundation

/// A typed event payload: a Codable struct that names its event type and schema version.
///
/// Every event type in the catalogue (`docs/events.md`) has one. Fields that hold credentials use `Secret`,
/// which always encodes as `"<redacted>"`, so no code path can write a token into the log.
public protocol EventPayload: Codable, Sendable {
    /// The dotted event type, e.g. `plugin.failed`.
    static var eventType: String { get }
    /// The payload schema version (default 1).
    static var eventVersion: Int { get }
}

extension EventPayload {
    /// Version 1 unless a payload says otherwise.
    public static var eventVersion: Int { 1 }
}

/// An event that has not been appended yet: everything but `seq` and `at`.
public struct EventDraft: Sendable, Hashable {
    /// The stream the event goes to.
    public var stream: String
    /// The event type.
    public var type: String
    /// The payload schema version.
    public var version: Int
    /// Where the event came from (the engine sets this for plugins).
    public var source: EventSource
    /// Correlation id, if any.
    public var correlation: String?
    /// The payload as UTF-8 JSON text (a JSON object).
    public let payload: Data

    /// A draft from a typed payload.
    public init<Payload: EventPayload>(
        stream: String, payload: Payload, source: EventSource = .live, correlation: String? = nil
    ) throws {
        self.stream = stream
        self.type = Payload.eventType
        self.version = Payload.eventVersion
        self.source = source
        self.correlation = correlation
        self.payload = try EventJSON.encodePayload(payload)
    }

    /// A draft whose payload was encoded elsewhere; the payload is checked to be a JSON object.
    public init(
        stream: String, type: String, version: Int = 1, source: EventSource = .live,
        correlation: String? = nil, payloadJSON: Data
    ) throws {
        try EventJSON.validateObject(payloadJSON, what: "payload of \(type)")
        try EventDraft.validate(type: type, stream: stream)
        self.stream = stream
        self.type = type
        self.version = version
        self.source = source
        self.correlation = correlation
        self.payload = payloadJSON
    }

    /// Checks the shape of a type and stream name and says what is wrong.
    public static func validate(type: String, stream: String) throws {
        func ok(_ s: String, extra: Set<Character>) -> Bool {
            !s.isEmpty && s.count <= 200
                && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || extra.contains($0)) }
        }
        guard ok(type, extra: [".", "_", "-", ":"]) else {
            throw EventPayloadError(message: "event type '\(type)' must be 1–200 characters of [A-Za-z0-9._:-]")
        }
        guard ok(stream, extra: [".", "_", "-", "/", ":", "@"]) else {
            throw EventPayloadError(message: "stream '\(stream)' must be 1–200 characters of [A-Za-z0-9._:/@-]")
        }
    }
}
