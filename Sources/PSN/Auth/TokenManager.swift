import Foundation
public import Logging
public import PartyBusCore

/// Holds the signed-in account's tokens: loads them from the token store, refreshes them when less than five
/// minutes remain or after a 401 (one refresh in flight at a time; callers wait for it), signs in again with the
/// npsso when a refresh fails and one is configured, and reports everything as `auth.*` events (A.9).
public actor TokenManager: PSNAPIClient.TokenProvider {
    private let oauth: OAuthClient
    private let store: TokenStore
    private let publish: EventPublisher
    private let source: EventSource
    private let logger: Logger
    private let now: @Sendable () -> Date
    private var tokens: TokenSet?
    private var refreshing: Task<TokenSet, any Error>?

    /// Proactive refresh when less than this much access-token life remains (A.9 rule 2).
    static let refreshMargin: TimeInterval = 300

    /// A manager over a token store.
    public init(
        oauth: OAuthClient, store: TokenStore, publish: @escaping EventPublisher, source: EventSource = .live,
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.oauth = oauth
        self.store = store
        self.publish = publish
        self.source = source
        self.logger = logger
        self.now = now
    }

    /// The signed-in account id, if any (loading stored tokens).
    public func accountId() throws -> String? {
        try current()?.accountId
    }

    /// The current tokens (for the push auth frame and `whoami`), loading stored ones.
    public func currentTokens() throws -> TokenSet? { try current() }

    /// Signs in with an npsso (A.3 + A.4) and stores the tokens.
    @discardableResult
    public func signIn(npsso: Secret) async throws -> TokenSet {
        let (code, cid) = try await oauth.authorize(npsso: npsso)
        return try await signIn(code: code, cid: cid, method: "npsso")
    }

    /// Signs in with a code from the browser flow (A.2 + A.4) and stores the tokens.
    @discardableResult
    public func signIn(code: String, cid: String = UUID().uuidString.lowercased(), method: String = "code") async throws -> TokenSet {
        let response = try await oauth.exchange(code: code, cid: cid)
        let made = try makeTokens(response, previous: nil)
        try store.save(made)
        tokens = made
        try await publish(
            EventDraft(
                stream: "auth",
                payload: SignedIn(accountId: made.accountId, method: method, expiresAt: milliseconds(made.expiresAt)),
                source: source))
        return made
    }

    /// Discards the tokens.
    public func signOut() async throws {
        let account = try current()?.accountId
        tokens = nil
        store.delete()
        if let account {
            try await publish(EventDraft(stream: "auth", payload: SignedOut(accountId: account), source: source))
        }
    }

    public func accessToken() async throws -> Secret {
        guard let tokens = try current() else {
            throw PSNError.signInRequired("no stored tokens; run partybus login")
        }
        if tokens.remaining(at: now()) > TokenManager.refreshMargin { return tokens.accessToken }
        return try await refresh(reason: "proactive").accessToken
    }

    public func refreshAfterRejection(of rejected: Secret) async throws -> Secret {
        if let tokens = try current(), tokens.accessToken != rejected { return tokens.accessToken }
        return try await refresh(reason: "rejected").accessToken
    }

    private func current() throws -> TokenSet? {
        if tokens == nil { tokens = try store.load() }
        return tokens
    }

    /// One refresh at a time; concurrent callers share it.
    private func refresh(reason: String) async throws -> TokenSet {
        if let refreshing { return try await refreshing.value }
        let task = Task { try await self.performRefresh(reason: reason) }
        refreshing = task
        defer { refreshing = nil }
        return try await task.value
    }

    private func performRefresh(reason: String) async throws -> TokenSet {
        guard let old = try current() else { throw PSNError.signInRequired("no stored tokens") }
        do {
            guard old.refreshExpiresAt > now() else { throw PSNError.signInRequired("the refresh token has expired") }
            let response = try await oauth.refresh(old.refreshToken)
            let made = try makeTokens(response, previous: old)
            try store.save(made)
            tokens = made
            logger.info("access token refreshed (\(reason)); valid until \(made.expiresAt)")
            try await publish(
                EventDraft(
                    stream: "auth",
                    payload: TokenRefreshed(accountId: made.accountId, expiresAt: milliseconds(made.expiresAt), reason: reason),
                    source: source))
            return made
        } catch let error as PSNError where error.status != nil && error.status! >= 500 {
            throw error
        } catch let error as PSNError {
            if case .transport = error { throw error }
            // A.9 rule 5: discard; sign in again with the npsso if there is one, else sign-in is required.
            tokens = nil
            store.delete()
            if let npsso = oauth.settings.npsso, !npsso.isEmpty, !npsso.isRedacted {
                logger.warning("refresh failed (\(error)); signing in again with the configured npsso")
                return try await signIn(npsso: npsso)
            }
            try await publish(
                EventDraft(stream: "auth", payload: SignInRequired(reason: "\(error)"), source: source))
            throw PSNError.signInRequired("\(error)")
        }
    }

    private func makeTokens(_ response: TokenResponse, previous: TokenSet?) throws -> TokenSet {
        let received = now()
        let refresh = response.refresh_token.map(Secret.init) ?? previous?.refreshToken
        guard let refresh else { throw PSNError.malformed(endpoint: "token", detail: "no refresh_token") }
        let refreshExpiresAt = response.refresh_token_expires_in.map { received.addingTimeInterval(TimeInterval($0)) }
            ?? previous?.refreshExpiresAt ?? received.addingTimeInterval(5_183_999)
        return TokenSet(
            accessToken: Secret(response.access_token), refreshToken: refresh,
            expiresAt: received.addingTimeInterval(TimeInterval(response.expires_in)), refreshExpiresAt: refreshExpiresAt,
            accountId: try JWT.accountId(of: response.access_token), scope: response.scope ?? OAuthClient.scope)
    }

    private func milliseconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }
}
