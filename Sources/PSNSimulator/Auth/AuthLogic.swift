import Foundation

/// Result of the authorize endpoint.
enum AuthorizeOutcome: Sendable {
    case redirect(location: String, cid: String, requestId: String)
    case failure(OAuthError)
}

extension CoreState {
    static let defaultScope = "psn:mobile.v2.core psn:clientapp"
    static let signInURL = "https://my.account.sony.com/sonyacct/signin/"

    /// `GET /api/authz/v3/oauth/authorize` (A.2 / A.3). `rawQuery` is the original query string.
    mutating func authorize(query: [String: String], rawQuery: String, npsso: String?) -> AuthorizeOutcome {
        guard let redirectURI = query["redirect_uri"], configuration.redirectURIs.contains(redirectURI) else {
            return .failure(.redirectMismatch)
        }
        guard query["response_type"] == "code" else { return .failure(.invalidRequest("response_type must be code")) }
        guard let clientId = query["client_id"] else { return .failure(.invalidRequest("client_id required")) }
        guard clientId == configuration.clientId else {
            return .failure(OAuthError(status: 400, error: "invalid_client", description: "Unknown client_id"))
        }
        let cid = query["cid"].flatMap { $0.isEmpty ? nil : $0 } ?? ids.uuid()
        let requestId = ids.hex(32)
        guard let npsso, let account = accounts.first(where: { !$0.npsso.isEmpty && $0.npsso == npsso }) else {
            var location = Self.signInURL + "?"
            if !rawQuery.isEmpty { location += rawQuery + "&" }
            location += "auth_ver=v3&error=login_required&error_code=4165"
            location += "&error_description=User+is+not+authenticated&no_captcha=true&cid=" + Encoding.queryEncode(cid)
            return .redirect(location: location, cid: cid, requestId: requestId)
        }
        let code = ids.authorizationCode()
        codes[code] = AuthorizationCode(
            accountId: account.accountId, redirectURI: redirectURI,
            expiresAtMs: nowMs + Int64(configuration.authorizationCodeLifetimeSeconds) * 1000)
        let location = redirectURI + "/?code=" + Encoding.queryEncode(code) + "&cid=" + Encoding.queryEncode(cid)
        return .redirect(location: location, cid: cid, requestId: requestId)
    }

    /// Checks `Authorization: Basic base64(id:secret)`.
    func basicCredentialsValid(_ header: String?) -> Bool {
        guard let header, header.lowercased().hasPrefix("basic ") else { return false }
        let encoded = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard let bytes = Encoding.base64Decode(encoded), let text = String(bytes: bytes, encoding: .utf8) else {
            return false
        }
        return text == configuration.clientId + ":" + configuration.clientSecret
    }

    /// `POST /api/authz/v3/oauth/token` (A.4 / A.5).
    mutating func token(authorization: String?, form: [String: String]) -> Result<JSONValue, OAuthError> {
        guard basicCredentialsValid(authorization) else { return .failure(.invalidClient) }
        let now = nowMs
        switch form["grant_type"] {
        case "authorization_code":
            guard let code = form["code"], let record = codes.removeValue(forKey: code), record.expiresAtMs > now
            else { return .failure(.invalidCode) }
            guard form["redirect_uri"] == record.redirectURI else { return .failure(.redirectMismatchGrant) }
            let scope = form["scope"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultScope
            let absoluteExpiry = now + Int64(configuration.refreshTokenLifetimeSeconds) * 1000
            return .success(
                issueTokens(accountId: record.accountId, scope: scope, absoluteExpiryMs: absoluteExpiry,
                            grantType: "authorization_code", now: now))
        case "refresh_token":
            guard let presented = form["refresh_token"], let record = refreshTokens[presented],
                record.absoluteExpiryMs > now
            else { return .failure(.invalidRefresh) }
            let scope = form["scope"].flatMap { $0.isEmpty ? nil : $0 } ?? record.scope
            return .success(
                issueTokens(accountId: record.accountId, scope: scope, absoluteExpiryMs: record.absoluteExpiryMs,
                            grantType: "refresh_token", now: now))
        case nil:
            return .failure(.invalidRequest("grant_type required"))
        default:
            return .failure(OAuthError(status: 400, error: "unsupported_grant_type",
                                       description: "Unsupported grant type"))
        }
    }

    /// `now` is the request's own clock reading: read again here, a millisecond later, a fresh grant's
    /// `refresh_token_expires_in` came out one second short (5183998 instead of psn-protocol.md A.4's 5183999).
    private mutating func issueTokens(accountId: String, scope: String, absoluteExpiryMs: Int64,
                                      grantType: String, now: Int64) -> JSONValue {
        let lifetime = Int64(configuration.accessTokenLifetimeSeconds)
        let iat = now / 1000
        let claims: JSONValue = .object([
            "account_id": .string(accountId),
            "account_uuid": .string(ids.uuid()),
            "age": .int(30),
            "authz_c": .string("sim"),
            "client_id": .string(configuration.clientId),
            "dcim_id": .string(ids.uuid()),
            "device_type": .string("ANDROID_APP"),
            "env_iss_id": .string("256"),
            "exp": .int64(iat + lifetime + 1),
            "iat": .int64(iat),
            "grant_type": .string(grantType),
            "is_child": .bool(false),
            "iss": .string("https://auth.account.sony.com/"),
            "jti": .string(ids.uuid()),
            "legal_country": .string("US"),
            "locale": .string("en-US"),
            "user_device_ip": .string("127.0.0.1"),
            "ver": .string("2"),
        ])
        let accessToken = jwt(claims: claims)
        accessTokens[accessToken] = AccessToken(accountId: accountId, issuedAtMs: now, expiresAtMs: now + lifetime * 1000)
        let idToken = jwt(claims: .object([
            "iss": .string("https://auth.account.sony.com/"), "sub": .string(accountId),
            "aud": .string(configuration.clientId), "exp": .int64(iat + lifetime + 1), "iat": .int64(iat),
        ]))
        let refreshToken = ids.opaque(48)
        refreshTokens[refreshToken] = RefreshToken(accountId: accountId, absoluteExpiryMs: absoluteExpiryMs, scope: scope)
        let remaining = max(0, (absoluteExpiryMs - now) / 1000)
        return .object([
            "access_token": .string(accessToken),
            "token_type": .string("bearer"),
            "expires_in": .int64(lifetime),
            "scope": .string(scope),
            "id_token": .string(idToken),
            "refresh_token": .string(refreshToken),
            "refresh_token_expires_in": .int64(remaining),
        ])
    }

    private mutating func jwt(claims: JSONValue) -> String {
        let header: JSONValue = .object(["kid": .string("sim_1"), "alg": .string("none")])
        return Encoding.base64URL(Array(header.serialized.utf8)) + "." + Encoding.base64URL(Array(claims.serialized.utf8))
            + "." + ids.opaque(43)
    }

    /// The account of a known, unexpired access token.
    func validAccessTokenAccount(_ token: String) -> String? {
        guard let record = accessTokens[token], record.expiresAtMs > nowMs else { return nil }
        return record.accountId
    }

    /// Resolves an `Authorization: Bearer …` header to its account, or throws 401.
    func authenticate(_ authorization: String?) throws(APIError) -> SimulatedAccount {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { throw .unauthorized }
        let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard let accountId = validAccessTokenAccount(token), let account = account(accountId) else {
            throw .unauthorized
        }
        return account
    }
}
