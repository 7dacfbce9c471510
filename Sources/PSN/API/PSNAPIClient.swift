import Foundation
public import Logging
public import PartyBusCore

/// Sends authenticated requests to the PSN mobile API the way the official app does (F.1–F.4): the endpoint's
/// header stack, a Bearer token, error bodies parsed (their `referenceId` logged), retries with backoff on 5xx
/// and network errors, one refresh and one retry on 401, `Retry-After` on 429 (clamped to 1…300 s), a per-endpoint
/// throttle, and a slot of the data folder's shared rate limit before every request sent.
public final class PSNAPIClient: Sendable {
    /// Supplies and refreshes access tokens.
    public protocol TokenProvider: Sendable {
        /// A token valid for a while (refreshed first when needed).
        func accessToken() async throws -> Secret
        /// The token `rejected` got a 401: refresh (once, unless a newer one already exists) and return the new one.
        func refreshAfterRejection(of rejected: Secret) async throws -> Secret
    }

    /// The settings in use.
    public let settings: PSNSettings
    private let http: any HTTPSending
    private let tokens: any TokenProvider
    private let throttle: Throttle
    private let rateLimiter: RateLimiter?
    private let logger: Logger
    /// One trace id for this app session (okhttp stack).
    let traceId = HeaderStack.hex(16)

    /// A client over `http` with tokens from `tokens`; every request first takes a slot of `rateLimiter` (nil: no
    /// limit).
    public init(
        settings: PSNSettings, http: any HTTPSending, tokens: any TokenProvider, logger: Logger,
        rateLimiter: RateLimiter? = nil
    ) {
        self.settings = settings
        self.rateLimiter = rateLimiter
        self.http = http
        self.tokens = tokens
        self.logger = logger
        throttle = Throttle(interval: .milliseconds(settings.throttleMs))
    }

    /// One API call: `path` is under `psn.urls.api` unless `url` is given.
    func call(
        _ method: HTTPRequest.Method, _ path: String, url: String? = nil, stack: HeaderStack, json: Data? = nil,
        form: Bool = false, extraHeaders: [(name: String, value: String)] = [], endpoint: String
    ) async throws -> HTTPResponse {
        let target = url ?? (settings.urls.api + path)
        try await throttle.wait(for: endpoint)
        // The first slot is taken before the token is read: a long wait must not leave us sending an expired one.
        try await rateLimiter?.acquire()
        var token = try await tokens.accessToken()
        var slotHeld = true
        var refreshed = false
        var attempt = 0
        while true {
            attempt += 1
            // Every request sent takes a slot, retries too.
            if !slotHeld { try await rateLimiter?.acquire() }
            slotHeld = false
            var headers = [(name: "Authorization", value: "Bearer \(token.reveal())")]
            headers += stack.headers(settings: settings, traceId: traceId, json: json != nil, form: form)
            headers += extraHeaders
            let request = HTTPRequest(method: method, url: target, headers: headers, body: json)
            let response: HTTPResponse
            do {
                response = try await http.send(request)
                PSNMetrics.request(endpoint, status: String(response.status))
            } catch let error as HTTPTransportError {
                PSNMetrics.request(endpoint, status: "transport_error")
                guard attempt < 3, !error.isPermanent else { throw PSNError.transport(error.description) }
                logger.warning("\(endpoint): \(error.message); retry \(attempt) of 2")
                try await backoff(attempt)
                continue
            }
            switch response.status {
            case 200..<300:
                return response
            case 401 where !refreshed:
                refreshed = true
                logger.info("\(endpoint): 401, refreshing the access token once")
                token = try await tokens.refreshAfterRejection(of: token)
                attempt -= 1
                continue
            case 429:
                guard attempt < 3 else { throw failure(response, endpoint: endpoint) }
                let wait = RetryAfter.duration(response.header("Retry-After"))
                logger.warning("\(endpoint): 429, waiting \(wait) as Retry-After says (clamped to 1…300 s)")
                try await Task.sleep(for: wait)
                continue
            case 500..<600 where attempt < 3:
                let parsed = ErrorBody.parse(response.body, status: response.status)
                logger.warning(
                    "\(endpoint): HTTP \(response.status) (referenceId \(parsed.referenceId ?? "-")); retry \(attempt) of 2")
                try await backoff(attempt)
                continue
            default:
                throw failure(response, endpoint: endpoint)
            }
        }
    }

    /// Decodes a JSON response body, saying what is wrong and where.
    func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, endpoint: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw PSNError.malformed(endpoint: endpoint, detail: EventJSON.describe(error))
        }
    }

    private func backoff(_ attempt: Int) async throws {
        try await Task.sleep(for: .milliseconds(settings.retryBaseMs << (attempt - 1)))
    }

    private func failure(_ response: HTTPResponse, endpoint: String) -> PSNError {
        let parsed = ErrorBody.parse(response.body, status: response.status)
        if let referenceId = parsed.referenceId {
            logger.error("\(endpoint): HTTP \(response.status) \(parsed.message) (referenceId \(referenceId))")
        }
        return .http(
            status: response.status, code: parsed.code, message: parsed.message, referenceId: parsed.referenceId,
            endpoint: endpoint)
    }
}
