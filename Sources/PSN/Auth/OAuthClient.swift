import Foundation
public import Logging
public import PartyBusCore

/// The OAuth side of sign-in (A.2–A.5): authorize with the npsso cookie or through a browser, exchange the code,
/// refresh. The client secret and the Basic header are never logged or put in an error.
public struct OAuthClient: Sendable {
    static let scope = "psn:mobile.v2.core psn:clientapp"

    let settings: PSNSettings
    let duid: String
    private let http: any HTTPSending
    private let logger: Logger

    /// A client with its settings, device id and HTTP transport.
    public init(settings: PSNSettings, duid: String, http: any HTTPSending, logger: Logger) {
        self.settings = settings
        self.duid = duid
        self.http = http
        self.logger = logger
    }

    /// The authorize URL (A.2) for the browser code flow, with a fresh `cid`.
    public func authorizeURL(cid: String = UUID().uuidString.lowercased()) -> String {
        settings.urls.auth + "authorize?" + FormEncoding.encode(authorizeParameters(cid: cid))
    }

    private func authorizeParameters(cid: String) -> [(String, String)] {
        [
            ("access_type", "offline"), ("client_id", settings.clientId), ("redirect_uri", settings.redirectUri),
            ("response_type", "code"), ("scope", OAuthClient.scope), ("service_entity", "urn:service-entity:psn"),
            ("cid", cid), ("no_captcha", "true"), ("duid", duid), ("ui", "pr"), ("device_profile", "mobile"),
            ("smcid", "psapp:signin"), ("support_scheme", "sneiprls"),
        ]
    }

    /// A.3: authorize with the npsso cookie, redirects not followed; returns the code and cid.
    public func authorize(npsso: Secret) async throws -> (code: String, cid: String) {
        let cid = UUID().uuidString.lowercased()
        let request = HTTPRequest(
            method: .GET, url: authorizeURL(cid: cid),
            headers: [
                ("Cookie", "npsso=\(npsso.reveal())"), ("User-Agent", settings.userAgent.browser),
                ("X-Requested-With", "com.scee.psxandroid"), ("Sec-Fetch-Dest", "document"),
                ("Sec-Fetch-Mode", "navigate"), ("Sec-Fetch-Site", "same-site"), ("Sec-Fetch-User", "?1"),
                ("Accept-Language", "\(settings.locale),en;q=0.9"),
            ])
        let response = try await send(request, endpoint: "authorize")
        guard (300..<400).contains(response.status), let location = response.header("Location") else {
            let parsed = ErrorBody.parse(response.body, status: response.status)
            throw PSNError.http(
                status: response.status, code: parsed.code, message: parsed.message, referenceId: parsed.referenceId,
                endpoint: "authorize")
        }
        let query = FormEncoding.query(of: location)
        if let code = query["code"], !code.isEmpty {
            return (code, query["cid"] ?? cid)
        }
        throw PSNError.npssoRejected(
            errorCode: query["error_code"], description: query["error_description"] ?? query["error"] ?? "no code in the redirect")
    }

    /// A.4: exchanges an authorization code.
    func exchange(code: String, cid: String) async throws -> TokenResponse {
        try await token(
            form: [
                ("token_format", "jwt"), ("grant_type", "authorization_code"), ("redirect_uri", settings.redirectUri),
                ("code", code), ("cid", cid),
            ], correlation: cid)
    }

    /// A.5: refreshes.
    func refresh(_ refreshToken: Secret) async throws -> TokenResponse {
        try await token(
            form: [
                ("token_format", "jwt"), ("grant_type", "refresh_token"), ("scope", OAuthClient.scope),
                ("refresh_token", refreshToken.reveal()),
            ], correlation: nil)
    }

    private func token(form: [(String, String)], correlation: String?) async throws -> TokenResponse {
        guard let secret = settings.clientSecret, !secret.isEmpty, !secret.isRedacted else {
            throw PSNError.configuration(
                "psn.clientSecret is not set (config file or PARTYBUS_PSN__CLIENT_SECRET); the token endpoint needs it")
        }
        let basic = Data("\(settings.clientId):\(secret.reveal())".utf8).base64EncodedString()
        var headers = [
            (name: "Authorization", value: "Basic \(basic)"),
            (name: "Content-Type", value: "application/x-www-form-urlencoded"),
            (name: "User-Agent", value: settings.userAgent.oauth),
        ]
        if let correlation { headers.append((name: "X-Psn-Correlation-Id", value: correlation)) }
        let request = HTTPRequest(
            method: .POST, url: settings.urls.auth + "token", headers: headers, body: Data(FormEncoding.encode(form).utf8))
        let response = try await send(request, endpoint: "token")
        guard response.status == 200 else {
            let parsed = ErrorBody.parse(response.body, status: response.status)
            if parsed.oauthError == "invalid_grant" && (response.status == 400 || response.status == 401) {
                throw PSNError.invalidGrant(status: response.status, message: parsed.message)
            }
            throw PSNError.http(
                status: response.status, code: parsed.code, message: parsed.message, referenceId: parsed.referenceId,
                endpoint: "token")
        }
        do {
            return try JSONDecoder().decode(TokenResponse.self, from: response.body)
        } catch {
            throw PSNError.malformed(endpoint: "token", detail: EventJSON.describe(error))
        }
    }

    /// Sends with retries on network errors and 5xx (F.4: backoff) and on 429 (after `Retry-After`, clamped),
    /// at most 3 tries.
    private func send(_ request: HTTPRequest, endpoint: String) async throws -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            var wait = Duration.milliseconds(settings.retryBaseMs << (attempt - 1))
            do {
                let response = try await http.send(request)
                guard attempt < 3 else { return response }
                if response.status == 429 {
                    wait = RetryAfter.duration(response.header("Retry-After"))
                    logger.warning("\(endpoint): HTTP 429; retry \(attempt) of 2 in \(wait) (Retry-After, clamped)")
                } else if (500..<600).contains(response.status) {
                    logger.warning("\(endpoint): HTTP \(response.status); retry \(attempt) of 2")
                } else {
                    return response
                }
            } catch let error as HTTPTransportError {
                guard attempt < 3, !error.isPermanent else { throw PSNError.transport(error.description) }
                logger.warning("\(endpoint): \(error.message); retry \(attempt) of 2")
            }
            try await Task.sleep(for: wait)
        }
    }

    /// The code from what a user pasted after the browser flow: the full redirect URL, or the code itself.
    public static func code(fromPasted text: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.contains("?") || trimmed.contains("code=") {
            let query = FormEncoding.query(of: trimmed.contains("?") ? trimmed : "x?" + trimmed)
            if let code = query["code"], !code.isEmpty { return code }
            if let error = query["error"] {
                throw PSNError.npssoRejected(errorCode: query["error_code"], description: query["error_description"] ?? error)
            }
            throw PSNError.malformed(endpoint: "redirect", detail: "the pasted URL has no code parameter")
        }
        guard !trimmed.isEmpty, !trimmed.contains(" ") else {
            throw PSNError.malformed(endpoint: "redirect", detail: "paste the whole redirect URL or the code")
        }
        return trimmed
    }
}

/// `application/x-www-form-urlencoded` encoding and query parsing.
enum FormEncoding {
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        (text.addingPercentEncoding(withAllowedCharacters: unreserved.union(CharacterSet(charactersIn: " "))) ?? text)
            .replacingOccurrences(of: " ", with: "+")
    }

    /// The query parameters of a URL (also a custom-scheme one), decoded.
    static func query(of url: String) -> [String: String] {
        guard let question = url.firstIndex(of: "?") else { return [:] }
        var result: [String: String] = [:]
        for pair in url[url.index(after: question)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1
                ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[1])) : ""
            result[key] = value
        }
        return result
    }
}
