public import Foundation
public import Logging
public import PartyBusCore

/// Everything needed to talk to PSN for one data folder: the HTTP transport, sign-in and tokens, the API client
/// and sessionManager parties; `makePushClient` adds the push channel.
public final class PSNClient: Sendable {
    /// The settings in use.
    public let settings: PSNSettings
    /// The HTTP transport (libcurl).
    public let http: CurlHTTPClient
    /// OAuth.
    public let oauth: OAuthClient
    /// Tokens.
    public let tokens: TokenManager
    /// Authenticated API calls.
    public let api: PSNAPIClient
    /// sessionManager parties.
    public let parties: PartiesClient
    /// rtcBridge (the voice uplink).
    public let bridges: RTCBridgeClient
    private let log: EventLog
    /// Orders push frame ingests with party reads recorded as snapshots (`parties.get`, the reconciler).
    private let ingests = IngestGate()
    private let source: EventSource
    private let logger: Logger

    /// The data folder's shared rate limit (nil when `psn.rateLimit` turns it off).
    public let rateLimiter: RateLimiter?

    /// Builds the client; checks the URLs (https, or loopback http when allowed) and the rate limit settings.
    public init(settings: PSNSettings, dataDirectory: URL, log: EventLog, source: EventSource, logger: Logger) throws {
        try settings.validateURLs()
        try settings.validateRateLimit()
        self.settings = settings
        self.log = log
        self.source = source
        self.logger = logger
        http = CurlHTTPClient(options: .init(caFile: settings.caFile.isEmpty ? nil : settings.caFile))
        let duid = try DeviceIdentity.duid(configured: settings.duid, dataDirectory: dataDirectory)
        oauth = OAuthClient(settings: settings, duid: duid, http: http, logger: logger)
        let publish: EventPublisher = { draft in _ = try await log.append(draft) }
        tokens = TokenManager(
            oauth: oauth, store: TokenStore(dataDirectory: dataDirectory), publish: publish, source: source, logger: logger)
        rateLimiter = RateLimiter.forDataDirectory(dataDirectory, settings: settings.rateLimit, logger: logger)
        api = PSNAPIClient(settings: settings, http: http, tokens: tokens, logger: logger, rateLimiter: rateLimiter)
        parties = PartiesClient(api: api, publish: publish, source: source, ingests: ingests)
        bridges = RTCBridgeClient(api: api)
    }

    /// The push channel; after each connection it reconciles party state with sessionManager (`PartyReconciler`).
    public func makePushClient(
        parties projection: LiveProjection<PartyProjection>, backoff: PushClient.Backoff = .init()
    ) -> PushClient {
        let reconciler = PartyReconciler(parties: parties, projection: projection, ingests: ingests, logger: logger)
        return PushClient(
            settings: settings, http: http, tokens: tokens, log: log, parties: projection, source: source,
            logger: logger, backoff: backoff, ingests: ingests
        ) {
            await reconciler.run()
        }
    }
}
