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
}

/// `auth.signed_out`: tokens were discarded (`partybus logout`).
public struct SignedOut: EventPayload, Equatable {
    public static let eventType = "auth.signed_out"
    /// The account id.
    public var accountId: String
}

/// Where PSN adapters append their events (the engine passes its log).
public typealias EventPublisher = @Sendable (EventDraft) async throws -> Void
