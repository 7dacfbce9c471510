import Foundation
public import Logging
public import PartyBusCore

/// Holds the signed-in account's tokens: loads them from the token store, refreshes them when less than five
/// minutes remain or after a 401 (one refresh in flight at a time; callers wait for it), and reports everything as
/// `auth.*` events (A.9).
///
/// Stored tokens are discarded only when the token endpoint refuses the refresh token (`invalid_grant`, 400/401);
/// then the configured npsso signs in again, else `auth.sign_in_required`. On a bad day — 429, 5xx, no network, a
/// malformed answer, a failed save — the stored tokens stay and the refresh is retried a few times, then the call
/// fails with `PSNError.refreshFailed` and a later call refreshes again. When the refresh token (not extended by
/// refreshing) ends within seven days, `auth.refresh_expiring` is appended, at most once a day.
public actor TokenManager: PSNAPIClient.TokenProvider {
    private let oauth: OAuthClient
    private let store: TokenStore
    private let publish: EventPublisher
    private let source: EventSource
    private let logger: Logger
    private let now: @Sendable () -> Date
    private var tokens: TokenSet?
    /// The tokens in memory are newer than the token file (saving them failed); saving is tried again.
    private var unsaved = false
    private var refreshing: Task<TokenSet, any Error>?
    /// When `auth.refresh_expiring` was last appended.
    private var lastExpiryWarning: Date?

    /// Proactive refresh when less than this much access-token life remains (A.9 rule 2).
    static let refreshMargin: TimeInterval = 300
    /// `auth.refresh_expiring` when the refresh token ends within this.
    static let expiryWarningWindow: TimeInterval = 7 * 86_400
    /// Least time between two `auth.refresh_expiring` events.
    static let expiryWarningInterval: TimeInterval = 86_400
    /// Tries of one refresh whose answer was malformed, and of saving new tokens.
    static let attempts = 3

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
        unsaved = false
        try await publish(
            EventDraft(
                stream: "auth",
                payload: SignedIn(accountId: made.accountId, method: method, expiresAt: milliseconds(made.expiresAt)),
                source: source))
        await warnIfRefreshExpiring(made)
        return made
    }

    /// Discards the tokens.
    public func signOut() async throws {
        let account = try current()?.accountId
        tokens = nil
        unsaved = false
        store.delete()
        if let account {
            try await publish(EventDraft(stream: "auth", payload: SignedOut(accountId: account), source: source))
        }
    }

    public func accessToken() async throws -> Secret {
        guard let tokens = try current() else {
            throw PSNError.signInRequired("no stored tokens; run partybus login")
        }
        if unsaved { saveAgain(tokens) }
        await warnIfRefreshExpiring(tokens)
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
        var attempt = 0
        while true {
            attempt += 1
            let made: TokenSet
            do {
                made = try makeTokens(try await oauth.refresh(old.refreshToken), previous: old)
            } catch let error as PSNError {
                switch error {
                case .invalidGrant:
                    return try await refreshTokenRefused(error)
                case .malformed where attempt < TokenManager.attempts:
                    // A 200 we cannot read: the stored refresh token is still good; ask again.
                    logger.warning("token refresh: \(error); the stored tokens are kept; retry \(attempt) of \(TokenManager.attempts - 1)")
                    try await backoff(attempt)
                    continue
                default:
                    // 429, 5xx and network errors were already retried by the OAuth client; other 4xx (a wrong
                    // client secret …) do not mean the refresh token is bad. Either way the tokens stay.
                    throw keptTokens(after: error, attempts: attempt)
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw keptTokens(after: error, attempts: attempt)
            }
            try await save(made)
            logger.info("access token refreshed (\(reason)); valid until \(made.expiresAt)")
            try await publish(
                EventDraft(
                    stream: "auth",
                    payload: TokenRefreshed(accountId: made.accountId, expiresAt: milliseconds(made.expiresAt), reason: reason),
                    source: source))
            await warnIfRefreshExpiring(made)
            return made
        }
    }

    /// A.9 rule 5, for the one answer that means it: discard; sign in again with the npsso if there is one, else
    /// sign-in is required.
    private func refreshTokenRefused(_ error: PSNError) async throws -> TokenSet {
        tokens = nil
        unsaved = false
        store.delete()
        if let npsso = oauth.settings.npsso, !npsso.isEmpty, !npsso.isRedacted {
            logger.warning("the refresh token was refused (\(error)); stored tokens deleted; signing in again with the configured npsso")
            do {
                return try await signIn(npsso: npsso)
            } catch {
                try await publish(
                    EventDraft(
                        stream: "auth", payload: SignInRequired(reason: "refresh token refused; npsso sign-in failed: \(error)"),
                        source: source))
                throw error
            }
        }
        logger.warning("the refresh token was refused (\(error)); stored tokens deleted; run partybus login")
        try await publish(EventDraft(stream: "auth", payload: SignInRequired(reason: "\(error)"), source: source))
        throw PSNError.signInRequired("\(error)")
    }

    /// The error of a refresh that gave up with the stored tokens untouched.
    private func keptTokens(after error: any Error, attempts: Int) -> PSNError {
        logger.error("token refresh failed (\(error)); the stored tokens are kept and a later call refreshes again")
        return .refreshFailed("\(error) (after \(attempts) attempt\(attempts == 1 ? "" : "s")); the stored tokens are kept")
    }

    /// Saves refreshed tokens, retrying with backoff. If the file cannot be written, the new tokens are still
    /// used in memory (asking the token endpoint again would not help the disk), the old file stays as it was,
    /// saving is tried again on later calls, and this call fails with a clear error.
    private func save(_ made: TokenSet) async throws {
        var attempt = 0
        while true {
            attempt += 1
            do {
                try store.save(made)
                tokens = made
                unsaved = false
                return
            } catch {
                guard attempt < TokenManager.attempts else {
                    tokens = made
                    unsaved = true
                    logger.error("token refresh: \(error); the new tokens are used in memory and saving is tried again")
                    throw PSNError.refreshFailed(
                        "the new tokens could not be saved (\(error)); the stored tokens are kept, the new ones used in memory")
                }
                logger.warning("token refresh: saving failed (\(error)); retry \(attempt) of \(TokenManager.attempts - 1)")
                try await backoff(attempt)
            }
        }
    }

    /// Retries saving tokens that only live in memory (see `save`).
    private func saveAgain(_ tokens: TokenSet) {
        do {
            try store.save(tokens)
            unsaved = false
            logger.info("refreshed tokens saved to \(store.path) after an earlier failure")
        } catch {
            logger.warning("the refreshed tokens still cannot be saved: \(error)")
        }
    }

    /// `auth.refresh_expiring` (and a warning) when the refresh token ends within seven days; at most once a day.
    private func warnIfRefreshExpiring(_ tokens: TokenSet) async {
        let at = now()
        let left = tokens.refreshExpiresAt.timeIntervalSince(at)
        guard left <= TokenManager.expiryWarningWindow else { return }
        if let last = lastExpiryWarning, at.timeIntervalSince(last) < TokenManager.expiryWarningInterval { return }
        lastExpiryWarning = at
        let days = left > 0 ? Int(left / 86_400) : 0
        logger.warning(
            "the refresh token of account \(tokens.accountId) expires \(tokens.refreshExpiresAt) (\(days) days left); sign in again before then (partybus login, or set psn.npsso)")
        do {
            try await publish(
                EventDraft(
                    stream: "auth",
                    payload: RefreshExpiring(
                        accountId: tokens.accountId, refreshExpiresAt: milliseconds(tokens.refreshExpiresAt), daysLeft: days),
                    source: source))
        } catch {
            logger.warning("could not append auth.refresh_expiring: \(error)")
        }
    }

    private func backoff(_ attempt: Int) async throws {
        try await Task.sleep(for: .milliseconds(oauth.settings.retryBaseMs << (attempt - 1)))
    }

    private func makeTokens(_ response: TokenResponse, previous: TokenSet?) throws -> TokenSet {
        let received = now()
        let refresh = response.refresh_token.map(Secret.init) ?? previous?.refreshToken
        guard let refresh else { throw PSNError.malformed(endpoint: "token", detail: "no refresh_token") }
        guard !response.access_token.isEmpty else { throw PSNError.malformed(endpoint: "token", detail: "empty access_token") }
        guard TokenManager.lifetimes.contains(response.expires_in),
            response.refresh_token_expires_in.map(TokenManager.lifetimes.contains) ?? true
        else { throw PSNError.malformed(endpoint: "token", detail: "expires_in or refresh_token_expires_in out of range") }
        let refreshExpiresAt = response.refresh_token_expires_in.map { received.addingTimeInterval(TimeInterval($0)) }
            ?? previous?.refreshExpiresAt ?? received.addingTimeInterval(5_183_999)
        return TokenSet(
            accessToken: Secret(response.access_token), refreshToken: refresh,
            expiresAt: received.addingTimeInterval(TimeInterval(response.expires_in)), refreshExpiresAt: refreshExpiresAt,
            accountId: try JWT.accountId(of: response.access_token), scope: response.scope ?? OAuthClient.scope)
    }

    /// Lifetimes (seconds) a token response may state; anything else is malformed (A.9: 3599 s and ~60 days).
    static let lifetimes = 0...(400 * 86_400)

    private func milliseconds(_ date: Date) -> Int64 { Int64(exactly: (date.timeIntervalSince1970 * 1000).rounded()) ?? 0 }
}
