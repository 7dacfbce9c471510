import Foundation

/// One route of the control API: method, path template (`{name}` segments), what it does, and its handler.
public struct ControlRoute: Sendable {
    /// `GET`, `POST` …
    public let method: String
    /// The path template, e.g. `/v1/parties/{sessionId}` (as the OpenAPI document spells it).
    public let path: String
    /// One line for the docs and the OpenAPI check.
    public let summary: String
    let handler: @Sendable (ControlRequest, DaemonContext) async throws -> ControlResponse

    init(
        _ method: String, _ path: String, _ summary: String,
        _ handler: @escaping @Sendable (ControlRequest, DaemonContext) async throws -> ControlResponse
    ) {
        self.method = method
        self.path = path
        self.summary = summary
        self.handler = handler
    }

    /// The template's segments.
    var segments: [Substring] { path.split(separator: "/") }

    /// The path parameters when `path` matches this route's template.
    func match(_ requestPath: String) -> [String: String]? {
        let template = segments
        let given = requestPath.split(separator: "/", omittingEmptySubsequences: true)
        guard template.count == given.count else { return nil }
        var parameters: [String: String] = [:]
        for (pattern, value) in zip(template, given) {
            if pattern.hasPrefix("{") && pattern.hasSuffix("}") {
                parameters[String(pattern.dropFirst().dropLast())] = String(value).removingPercentEncoding ?? String(value)
            } else if pattern != value {
                return nil
            }
        }
        return parameters
    }
}
