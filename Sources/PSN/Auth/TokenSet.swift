public import Foundation
public import PartyBusCore

/// The tokens of one signed-in account (A.4), held as `Secret`s.
public struct TokenSet: Sendable, Equatable {
    /// Bearer for every m.np call and the push auth frame.
    public var accessToken: Secret
    /// For `grant_type=refresh_token`.
    public var refreshToken: Secret
    /// When the access token expires.
    public var expiresAt: Date
    /// When the refresh token expires.
    public var refreshExpiresAt: Date
    /// The account id (decimal string) from the token's `account_id` claim.
    public var accountId: String
    /// Granted scopes.
    public var scope: String

    /// Seconds of access-token life left at `now`.
    public func remaining(at now: Date) -> TimeInterval { expiresAt.timeIntervalSince(now) }
}

/// The token endpoint's JSON (A.4).
struct TokenResponse: Decodable {
    var access_token: String
    var token_type: String?
    var expires_in: Int
    var scope: String?
    var id_token: String?
    var refresh_token: String?
    var refresh_token_expires_in: Int?
}

/// Reads claims from a JWT without verifying it (A.7: clients never verify the signature).
enum JWT {
    /// The `account_id` claim as a decimal string.
    static func accountId(of token: String) throws -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, let payload = base64URLDecode(String(parts[1])),
            let object = try? JSONSerialization.jsonObject(with: payload) as? [String: Any]
        else { throw PSNError.malformed(endpoint: "token", detail: "access token is not a JWT") }
        guard let claim = object["account_id"] else {
            throw PSNError.malformed(endpoint: "token", detail: "access token has no account_id claim")
        }
        // A.7: a JSON string of decimal digits. A number is refused: above 2^53 it would not be exact.
        guard let id = claim as? String else {
            throw PSNError.malformed(endpoint: "token", detail: "the access token's account_id claim is not a string")
        }
        if let problem = AccountId.problem(id, field: "the access token's account_id claim") {
            throw PSNError.malformed(endpoint: "token", detail: problem)
        }
        return id
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
