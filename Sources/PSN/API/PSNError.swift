/// What can go wrong talking to PSN; every case says what and where, never a token.
public enum PSNError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A response with an error status and its F.3 (or OAuth-style) body.
    case http(status: Int, code: Int?, message: String, referenceId: String?, endpoint: String)
    /// The token endpoint refused a grant (`invalid_grant` with 400 or 401, A.10): for a refresh, the refresh token
    /// is expired or revoked — the one answer that discards stored tokens.
    case invalidGrant(status: Int, message: String)
    /// Refreshing failed on a bad day (429, 5xx, network, a malformed answer, a failed save): the stored tokens are
    /// kept and a later call refreshes again.
    case refreshFailed(String)
    /// No response at all (after retries).
    case transport(String)
    /// Sign-in is needed (no tokens, or refresh failed and no npsso is configured).
    case signInRequired(String)
    /// The npsso was refused (`error_code` 4165: missing, wrong or expired).
    case npssoRejected(errorCode: String?, description: String)
    /// A response that does not have the documented shape.
    case malformed(endpoint: String, detail: String)
    /// The configuration cannot work (missing secret, insecure URL …).
    case configuration(String)

    public var description: String {
        switch self {
        case .http(let status, let code, let message, let referenceId, let endpoint):
            "\(endpoint): HTTP \(status)\(code.map { " code \($0)" } ?? ""): \(message)"
                + (referenceId.map { " (referenceId \($0))" } ?? "")
        case .invalidGrant(let status, let message): "token: HTTP \(status): \(message)"
        case .refreshFailed(let detail): "token refresh failed: \(detail)"
        case .transport(let detail): "network: \(detail)"
        case .signInRequired(let why): "sign-in required: \(why)"
        case .npssoRejected(let code, let description):
            "npsso refused\(code.map { " (error_code \($0))" } ?? ""): \(description); get a new one while signed in at "
                + "https://ca.account.sony.com/api/v1/ssocookie"
        case .malformed(let endpoint, let detail): "\(endpoint): unexpected response: \(detail)"
        case .configuration(let detail): "configuration: \(detail)"
        }
    }

    /// The HTTP status, when there was one.
    public var status: Int? {
        switch self {
        case .http(let status, _, _, _, _), .invalidGrant(let status, _): return status
        default: return nil
        }
    }
}
