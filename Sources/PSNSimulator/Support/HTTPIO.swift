import HTTPTypes
import Hummingbird
import NIOCore

/// Response builders shared by every route.
enum HTTPIO {
    static let maxBodySize = 1 << 20

    static func status(_ code: Int) -> HTTPResponse.Status {
        let phrases: [Int: String] = [
            200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 302: "Moved Temporarily",
            400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout",
        ]
        return HTTPResponse.Status(code: code, reasonPhrase: phrases[code] ?? "Status")
    }

    static func json(_ code: Int, _ value: JSONValue, headers: HTTPFields = [:],
                     contentType: String = "application/json") -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status(code), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: value.serialized)))
    }

    static func empty(_ code: Int, headers: HTTPFields = [:]) -> Response {
        Response(status: status(code), headers: headers, body: ResponseBody())
    }

    static func field(_ name: String) -> HTTPField.Name { HTTPField.Name(name)! }

    /// Reads the whole body; `nil` when empty. Malformed JSON → `400 Bad Request (body: null)`.
    static func jsonBody(_ request: Request) async throws(APIError) -> JSONValue? {
        let bytes = try await rawBody(request)
        if bytes.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return nil }
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw .body("null")
        }
    }

    static func rawBody(_ request: Request) async throws(APIError) -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: maxBodySize)
            return Array(buffer.readableBytesView)
        } catch {
            throw .body("null")
        }
    }
}

extension SimulatorCore {
    /// Renders an `APIError` with a fresh referenceId (F.3), plus `Retry-After` when set.
    func errorResponse(_ error: APIError) -> Response {
        let body = withState { $0.errorBody(error) }
        var headers: HTTPFields = [:]
        if let retry = error.retryAfterSeconds { headers[.retryAfter] = String(retry) }
        return HTTPIO.json(error.status, body, headers: headers)
    }

    /// Runs a handler, turning `APIError` into its F.3 response.
    ///
    /// The parameter is untyped `async throws` on purpose: Swift 6.3.1's optimizer crashes (LLVM coroutine
    /// splitting, release builds only) on `async throws(APIError)` closures passed here. Handlers still throw only
    /// `APIError`; anything else would be a bug and answers 500.
    func respond(_ work: () async throws -> Response) async -> Response {
        do {
            return try await work()
        } catch let error as APIError {
            return errorResponse(error)
        } catch {
            return errorResponse(.injected(status: 500, retryAfterSeconds: nil))
        }
    }

    /// The caller of a Bearer-protected m.np call, or 401.
    func caller(_ request: Request) throws(APIError) -> SimulatedAccount {
        let header = request.headers[.authorization]
        return try withState { (s: inout CoreState) throws(APIError) -> SimulatedAccount in try s.authenticate(header) }
    }
}
