public import Foundation

/// An HTTP request as the PSN client sends it.
public struct HTTPRequest: Sendable {
    /// Request methods the PSN API uses.
    public enum Method: String, Sendable {
        case GET, POST, PUT, PATCH, DELETE
    }

    /// The method.
    public var method: Method
    /// The full URL.
    public var url: String
    /// Header fields in order (names as sent).
    public var headers: [(name: String, value: String)]
    /// The body, if any.
    public var body: Data?
    /// Longest the whole exchange may take.
    public var timeout: Duration

    /// Makes a request.
    public init(
        method: Method, url: String, headers: [(name: String, value: String)] = [], body: Data? = nil,
        timeout: Duration = .seconds(30)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// The first value of a header (case-insensitive name).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The URL without its query string, for logs and errors (queries can carry codes and ids).
    public var redactedURL: String { url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url }
}

/// An HTTP response.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields in order, names in lower case.
    public var headers: [(name: String, value: String)]
    /// The (decoded) body.
    public var body: Data

    /// Makes a response.
    public init(status: Int, headers: [(name: String, value: String)], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header (case-insensitive name).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }
}

/// The request never got a response: connection refused, TLS failure, timeout …
public struct HTTPTransportError: Error, CustomStringConvertible, Sendable {
    /// libcurl's result code.
    public var code: Int32
    /// What libcurl said.
    public var message: String
    /// The URL without its query.
    public var url: String
    /// True for a timeout.
    public var isTimeout: Bool { code == 28 }
    /// True when trying again cannot help: a malformed URL, an unsupported scheme, or a certificate that is not
    /// trusted (CURLE_UNSUPPORTED_PROTOCOL, URL_MALFORMAT, SSL_CERTPROBLEM, PEER_FAILED_VERIFICATION,
    /// SSL_CACERT_BADFILE, SSL_ISSUER_ERROR).
    public var isPermanent: Bool { [1, 3, 58, 60, 77, 83].contains(code) }

    public var description: String { "\(url): \(message) (curl \(code))" }
}

/// A client that can send HTTP requests; the PSN layer is written against this so tests can count calls.
public protocol HTTPSending: Sendable {
    /// Sends a request and returns the response (any status); throws `HTTPTransportError` when there is none.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
