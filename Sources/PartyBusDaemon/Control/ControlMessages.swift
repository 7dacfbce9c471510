public import Foundation

/// One request to the control API, whatever carried it (the Unix socket, TCP, or a CLI command running the API in
/// its own process).
public struct ControlRequest: Sendable {
    /// `GET`, `POST` …
    public var method: String
    /// The path without the query, e.g. `/v1/parties/…/leave`.
    public var path: String
    /// Query parameters (repeatable).
    public var query: [String: [String]]
    /// The JSON body (empty for none).
    public var body: Data
    /// Values of the route's `{name}` segments.
    public internal(set) var parameters: [String: String] = [:]

    /// A request.
    public init(method: String, path: String, query: [String: [String]] = [:], body: Data = Data()) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
    }

    /// A path parameter (always present once routed).
    func parameter(_ name: String) -> String { parameters[name] ?? "" }

    /// The last value of a query parameter.
    func queryValue(_ name: String) -> String? { query[name]?.last }

    /// A query parameter as an unsigned integer; garbage is a 400 naming the parameter.
    func queryNumber(_ name: String) throws -> UInt64? {
        guard let text = queryValue(name) else { return nil }
        guard let value = UInt64(text) else { throw ControlAPIError.badRequest("query parameter '\(name)': expected a whole number, found '\(text.prefix(40))'") }
        return value
    }

    /// Decodes the JSON body; an empty body decodes as `{}`; garbage is a 400 saying what is wrong and where.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let data = body.isEmpty ? Data("{}".utf8) : body
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ControlAPIError.badRequest("request body: \(ControlAPIError.describe(error))")
        }
    }
}

/// The answer to a control request: JSON, or a stream of server-sent events.
public struct ControlResponse: Sendable {
    /// The HTTP status.
    public var status: Int
    /// The JSON body.
    public var body: Data
    /// For `text/event-stream` responses: writes the stream until the client goes away or the daemon stops.
    public var stream: (@Sendable (_ write: @escaping @Sendable (Data) async throws -> Void) async throws -> Void)?
    /// The body's media type.
    public var contentType: String = "application/json"

    /// A JSON answer.
    public static func json<T: Encodable>(_ value: T, status: Int = 200) throws -> ControlResponse {
        ControlResponse(status: status, body: try ControlJSON.encode(value), stream: nil)
    }

    /// A JSON answer from bytes already encoded.
    public static func rawJSON(_ data: Data, status: Int = 200) -> ControlResponse {
        ControlResponse(status: status, body: data, stream: nil)
    }

    /// An error answer: `{"error": "…"}`.
    public static func error(_ status: Int, _ message: String) -> ControlResponse {
        ControlResponse(status: status, body: (try? ControlJSON.encode(["error": message])) ?? Data(), stream: nil)
    }
}

/// An error the API answers with its own status.
public struct ControlAPIError: Error, CustomStringConvertible, Sendable {
    /// The HTTP status.
    public let status: Int
    /// What to tell the client.
    public let message: String

    public var description: String { message }

    /// 400.
    static func badRequest(_ message: String) -> ControlAPIError { ControlAPIError(status: 400, message: message) }
    /// 404.
    static func notFound(_ message: String) -> ControlAPIError { ControlAPIError(status: 404, message: message) }
    /// 409.
    static func conflict(_ message: String) -> ControlAPIError { ControlAPIError(status: 409, message: message) }

    /// A decoding error as one line: what and where.
    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return "not valid JSON (\(context.debugDescription))"
        case DecodingError.keyNotFound(let key, let context):
            return "missing '\(path(context.codingPath + [key]))'"
        case DecodingError.typeMismatch(let type, let context):
            return "'\(path(context.codingPath))' should be \(type)"
        case DecodingError.valueNotFound(let type, let context):
            return "'\(path(context.codingPath))' is null, expected \(type)"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// The API's JSON encoding: sorted keys, so answers are stable.
enum ControlJSON {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
