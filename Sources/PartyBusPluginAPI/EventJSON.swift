public import Foundation

/// The JSON-lines form of events: what `events export --jsonl`, exec hooks and dynamic plugins see, and what
/// plugins send back as drafts.
///
/// One event per line: `{"seq":1,"at":…,"stream":"…","type":"…","version":1,"source":"live",
/// "correlation":null,"payload":{…}}`. The payload is embedded as stored, byte for byte.
public enum EventJSON {
    /// Encodes a typed payload as a JSON object with sorted keys.
    public static func encodePayload(_ payload: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(payload)
        guard data.first == UInt8(ascii: "{") else {
            throw EventPayloadError(message: "payload of type \(type(of: payload)) must encode as a JSON object")
        }
        return data
    }

    /// Checks that `data` is a JSON object and says where it is not.
    public static func validateObject(_ data: Data, what: String) throws {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw EventPayloadError(message: "\(what): not valid JSON (\(describe(error)))")
        }
        guard case .object = value else {
            throw EventPayloadError(message: "\(what): must be a JSON object")
        }
    }

    /// One event as a JSON line (without the trailing newline).
    public static func line(for event: Event) -> Data {
        var out = Data()
        out.reserveCapacity(96 + event.stream.utf8.count + event.type.utf8.count + event.payload.count)
        out.append(contentsOf: #"{"seq":"#.utf8)
        out.append(contentsOf: String(event.seq).utf8)
        out.append(contentsOf: #","at":"#.utf8)
        out.append(contentsOf: String(event.at).utf8)
        out.append(contentsOf: #","stream":"#.utf8)
        appendQuoted(event.stream, to: &out)
        out.append(contentsOf: #","type":"#.utf8)
        appendQuoted(event.type, to: &out)
        out.append(contentsOf: #","version":"#.utf8)
        out.append(contentsOf: String(event.version).utf8)
        out.append(contentsOf: #","source":"#.utf8)
        appendQuoted(event.source.rawValue, to: &out)
        out.append(contentsOf: #","correlation":"#.utf8)
        if let correlation = event.correlation {
            appendQuoted(correlation, to: &out)
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(contentsOf: #","payload":"#.utf8)
        out.append(event.payload)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Parses one recorded event line (as written by `line(for:)`), saying what is wrong and where.
    public static func event(fromLine data: Data, lineNumber: Int? = nil) throws -> Event {
        let place = lineNumber.map { "line \($0): " } ?? ""
        let object = try parseObject(data, place: place)
        func field(_ key: String) throws -> JSONValue {
            guard let value = object[key] else { throw EventPayloadError(message: "\(place)missing \"\(key)\"") }
            return value
        }
        guard let seq = try field("seq").intValue, seq > 0 else {
            throw EventPayloadError(message: "\(place)\"seq\" must be a positive integer")
        }
        guard let at = try field("at").intValue else {
            throw EventPayloadError(message: "\(place)\"at\" must be an integer (ms since 1970)")
        }
        guard let stream = try field("stream").stringValue, let type = try field("type").stringValue else {
            throw EventPayloadError(message: "\(place)\"stream\" and \"type\" must be strings")
        }
        try EventDraft.validate(type: type, stream: stream)
        let version = object["version"]?.intValue ?? 1
        let sourceName = object["source"]?.stringValue ?? "live"
        guard let source = EventSource(rawValue: sourceName) else {
            throw EventPayloadError(message: "\(place)\"source\" must be live, sim or replay, not '\(sourceName)'")
        }
        let payload = try payloadData(object["payload"], place: place)
        return Event(
            seq: UInt64(seq), at: at, stream: stream, type: type, version: Int(version), source: source,
            correlation: object["correlation"]?.stringValue, payload: payload)
    }

    /// Parses a draft a plugin publishes: `{"type": "…", "payload": {…}, "version"?: n, "correlation"?: "…",
    /// "stream"?: "…"}`. `defaultStream` is used when the draft names none.
    public static func draft(fromJSON data: Data, defaultStream: String, source: EventSource) throws -> EventDraft {
        let object = try parseObject(data, place: "")
        guard let type = object["type"]?.stringValue else {
            throw EventPayloadError(message: "draft must have a string \"type\"")
        }
        let stream = object["stream"]?.stringValue ?? defaultStream
        let version = object["version"]?.intValue ?? 1
        let payload = try payloadData(object["payload"], place: "")
        return try EventDraft(
            stream: stream, type: type, version: Int(version), source: source,
            correlation: object["correlation"]?.stringValue, payloadJSON: payload)
    }

    private static func parseObject(_ data: Data, place: String) throws -> [String: JSONValue] {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw EventPayloadError(message: "\(place)not valid JSON (\(describe(error)))")
        }
        guard case .object(let object) = value else {
            throw EventPayloadError(message: "\(place)must be a JSON object")
        }
        return object
    }

    private static func payloadData(_ value: JSONValue?, place: String) throws -> Data {
        guard let value else { return Data("{}".utf8) }
        guard case .object = value else { throw EventPayloadError(message: "\(place)\"payload\" must be an object") }
        return try encodePayload(value)
    }

    /// Appends `text` as a JSON string literal.
    public static func appendQuoted(_ text: String, to out: inout Data) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A one-line reason from a decoding error (Foundation's are long and nested).
    public static func describe(_ error: any Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .dataCorrupted(let context):
                let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey]
                return (underlying as? String) ?? context.debugDescription
            case .keyNotFound(let key, _): return "missing key '\(key.stringValue)'"
            case .typeMismatch(let type, let context):
                return "expected \(type) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
            case .valueNotFound(let type, _): return "missing \(type)"
            @unknown default: return "\(error)"
            }
        }
        return "\(error)"
    }
}

extension EventJSON {
    /// A draft as the JSON object a dynamic plugin or script sends to publish it.
    public static func draftJSON(for draft: EventDraft) -> Data {
        var out = Data()
        out.append(contentsOf: #"{"stream":"#.utf8)
        appendQuoted(draft.stream, to: &out)
        out.append(contentsOf: #","type":"#.utf8)
        appendQuoted(draft.type, to: &out)
        out.append(contentsOf: #","version":"#.utf8)
        out.append(contentsOf: String(draft.version).utf8)
        if let correlation = draft.correlation {
            out.append(contentsOf: #","correlation":"#.utf8)
            appendQuoted(correlation, to: &out)
        }
        out.append(contentsOf: #","payload":"#.utf8)
        out.append(draft.payload)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
