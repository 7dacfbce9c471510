/// An m.np-style error (psn-protocol.md F.3 / B.12), rendered as
/// `{"error":{"referenceId":"<uuid>","code":<int>,"message":"..."}}` with a fresh `referenceId`, plus the optional
/// F.3 keys `reason` and `details` when set.
struct APIError: Error, Sendable, Equatable {
    var status: Int
    var code: Int
    var message: String
    var retryAfterSeconds: Int?
    /// Optional F.3 `reason`.
    var reason: String?
    /// Optional F.3 `details` object.
    var details: JSONValue?

    init(status: Int, code: Int, message: String, retryAfterSeconds: Int? = nil, reason: String? = nil,
         details: JSONValue? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.reason = reason
        self.details = details
    }

    /// `400 Bad Request (body: <field>)`.
    static func body(_ field: String) -> APIError {
        APIError(status: 400, code: 9_900_400, message: "Bad Request (body: \(field))")
    }

    /// `400 Bad Request (query: <name>)`.
    static func query(_ name: String) -> APIError {
        APIError(status: 400, code: 9_900_400, message: "Bad Request (query: \(name))")
    }

    /// `400 Bad Request (header: <name>)`.
    static func header(_ name: String) -> APIError {
        APIError(status: 400, code: 9_900_400, message: "Bad Request (header: \(name))")
    }

    /// `400 Bad Request (path: <name>)`.
    static func path(_ name: String) -> APIError {
        APIError(status: 400, code: 9_900_400, message: "Bad Request (path: \(name))")
    }

    static let unauthorized = APIError(status: 401, code: 9_900_401, message: "Unauthorized")
    static let onlyMembers = APIError(status: 403, code: 9_900_403, message: "Only session members permitted")
    static let accessControl = APIError(status: 403, code: 9_900_403, message: "Not permitted by access control")
    static let notFound = APIError(status: 404, code: 9_900_404, message: "Resource not found")
    static let upperLimit = APIError(status: 409, code: 9_900_409, message: "Upper limit exceeded")

    /// Injected 5xx / 429 (H item 17).
    static func injected(status: Int, retryAfterSeconds: Int?) -> APIError {
        let message: String
        switch status {
        case 429: message = "Too Many Requests"
        case 500: message = "Internal Server Error"
        case 502: message = "Bad Gateway"
        case 503: message = "Service Unavailable"
        case 504: message = "Gateway Timeout"
        default: message = "Error"
        }
        let retry = status == 429 ? (retryAfterSeconds ?? 1) : retryAfterSeconds
        return APIError(status: status, code: 9_900_000 + status, message: message, retryAfterSeconds: retry)
    }

    /// `409` with a simulator-specific message (e.g. a second answer for the same offer, C.9).
    static func conflict(_ message: String) -> APIError {
        APIError(status: 409, code: 9_900_409, message: message)
    }

    func body(referenceId: String) -> JSONValue {
        var error: JSONObject = [
            "referenceId": .string(referenceId),
            "code": .int(code),
            "message": .string(message),
        ]
        if let reason { error["reason"] = .string(reason) }
        if let details { error["details"] = details }
        return .object(["error": .object(error)])
    }
}

/// An OAuth-style error of the ca.account endpoints (A.10): `{"error":"...","error_description":"..."}`.
struct OAuthError: Error, Sendable, Equatable {
    var status: Int
    var error: String
    var description: String

    static let invalidClient = OAuthError(status: 401, error: "invalid_client", description: "Bad client credentials")
    static let invalidCode = OAuthError(status: 400, error: "invalid_grant", description: "Invalid authorization code")
    static let redirectMismatchGrant = OAuthError(status: 400, error: "invalid_grant", description: "redirect_uri mismatch")
    static let redirectMismatch = OAuthError(status: 400, error: "invalid_request", description: "redirect_uri mismatch")
    static let invalidRefresh = OAuthError(status: 400, error: "invalid_grant", description: "Invalid refresh token")

    static func invalidRequest(_ description: String) -> OAuthError {
        OAuthError(status: 400, error: "invalid_request", description: description)
    }

    var body: JSONValue {
        .object(["error": .string(error), "error_description": .string(description)])
    }
}
