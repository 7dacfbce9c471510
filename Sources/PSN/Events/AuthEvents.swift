public import PartyBusCore

/// `auth.signed_in`: an account signed in (tokens are never in events).
public struct SignedIn: EventPayload, Equatable {
    public static let eventType = "auth.signed_in"
    /// The account id.
    public var accountId: String
    /// `npsso`, `code` or `stored`.
    public var method: String
    /// When the access token expires (ms since 1970).
    public var expiresAt: Int64
}

/// `auth.token_refreshed`: the access token was refreshed.
public struct TokenRefreshed: EventPayload, Equatable {
    public static let eventType = "auth.token_refreshed"
    /// The account id.
    public var accountId: String
    /// When the new access token expires (ms since 1970).
    public var expiresAt: Int64
    /// Why: `proactive` (< 5 minutes left) or `rejected` (a 401).
    public var reason: String
}

/// `auth.sign_in_required`: refreshing failed and no npsso is configured; run `partybus login`.
public struct SignInRequired: EventPayload, Equatable {
    public static let eventType = "auth.sign_in_required"
    /// What failed.
    public var reason: String

    /// Makes the event (the token manager does; so does the daemon when it starts with no tokens).
    public init(reason: String) { self.reason = reason }
}

/// `auth.refresh_expiring`: the refresh token ends within seven days (refreshing does not extend it, A.9); sign in
/// again before then (`partybus login`, or keep `psn.npsso` set). Appended at most once a day per process.
public struct RefreshExpiring: EventPayload, Equatable {
    public static let eventType = "auth.refresh_expiring"
    /// The account id.
    public var accountId: String
    /// When the refresh token expires (ms since 1970).
    public var refreshExpiresAt: Int64
    /// Whole days left (0 when less than one, or already past).
    public var daysLeft: Int
}

/// `auth.signed_out`: tokens were discarded (`partybus logout`).
public struct SignedOut: EventPayload, Equatable {
    public static let eventType = "auth.signed_out"
    /// The account id.
    public var accountId: String
}

/// Where PSN adapters append their events (the engine passes its log).
public typealias EventPublisher = @Sendable (EventDraft) async throws -> Void
