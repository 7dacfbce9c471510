/// Everything a `PSNSimulator` needs at start-up. Every key is optional when decoding; missing keys take the
/// documented defaults.
public struct SimulatorConfiguration: Codable, Sendable, Equatable {
    /// Address to bind. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// Port to bind; `0` picks an ephemeral port (read it back from `PSNSimulator.waitUntilRunning()`). Default `0`.
    public var port: Int = 0
    /// OAuth client id checked on the authorize and token endpoints. Default: the public native Android app id.
    public var clientId: String = "09515159-7237-4370-9b40-3806e67c0891"
    /// OAuth client secret checked in the token endpoint's Basic header. Default `sim-client-secret`.
    public var clientSecret: String = "sim-client-secret"
    /// Redirect URIs the authorize endpoint accepts (A.2 note). Default the native one.
    public var redirectURIs: [String] = ["com.scee.psxandroid.scecompcall://redirect"]
    /// Simulated PSN accounts (signed in through their npsso, or driven through the admin API / scripts).
    public var accounts: [SimulatedAccount] = []
    /// `expires_in` of access tokens in seconds. Default `3599`.
    public var accessTokenLifetimeSeconds: Int = 3599
    /// `refresh_token_expires_in` of a fresh grant in seconds. Default `5183999`.
    public var refreshTokenLifetimeSeconds: Int = 5_183_999
    /// Lifetime of authorization codes in seconds. Default `300`.
    public var authorizationCodeLifetimeSeconds: Int = 300
    /// `clientKeepAliveInterval` returned by serveraddr, in milliseconds; the socket closes (1001) after twice
    /// this without inbound traffic. Default `60000`.
    public var clientKeepAliveIntervalMs: Int = 60_000
    /// Push frames that may wait for one socket whose client does not read; one more and the simulator drops that
    /// connection (as a server drops a client that cannot keep up), so a stalled client never grows its memory.
    /// Default `1024`.
    public var pushQueueLimit: Int = 1024
    /// Seed for every generated id (session ids, UUIDs, link ids, codes, tokens). `nil` = random. Default `nil`.
    public var seed: UInt64?
    /// Fixed start of the simulator clock in epoch milliseconds; `nil` = real time. Default `nil`.
    public var fixedClockEpochMs: Int64?
    /// Fault switches (also settable at run time through `/sim/admin/faults`).
    public var faults: FaultSwitches = FaultSwitches()
    /// Path of a JSON script (array of `ScriptStep`) run once the server is listening. Default `nil`.
    public var scriptPath: String?
    /// Serve the `/sim/admin/...` API. Default `true`.
    public var adminAPIEnabled: Bool = true
    /// Serve https and wss with this certificate instead of plain http and ws. Default `nil` (plain).
    public var tls: SimulatorTLS?

    /// `https` with `tls`, else `http`.
    public var scheme: String { tls == nil ? "http" : "https" }

    /// Creates a configuration with every default.
    public init() {}

    /// Creates a configuration with the given accounts and defaults for the rest.
    public init(accounts: [SimulatedAccount]) {
        self.accounts = accounts
    }

    enum CodingKeys: String, CodingKey {
        case host, port, clientId, clientSecret, redirectURIs, accounts, accessTokenLifetimeSeconds
        case refreshTokenLifetimeSeconds, authorizationCodeLifetimeSeconds, clientKeepAliveIntervalMs, seed
        case pushQueueLimit, fixedClockEpochMs, faults, scriptPath, adminAPIEnabled, tls
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var d = SimulatorConfiguration()
        d.host = try c.decodeIfPresent(String.self, forKey: .host) ?? d.host
        d.port = try c.decodeIfPresent(Int.self, forKey: .port) ?? d.port
        d.clientId = try c.decodeIfPresent(String.self, forKey: .clientId) ?? d.clientId
        d.clientSecret = try c.decodeIfPresent(String.self, forKey: .clientSecret) ?? d.clientSecret
        d.redirectURIs = try c.decodeIfPresent([String].self, forKey: .redirectURIs) ?? d.redirectURIs
        d.accounts = try c.decodeIfPresent([SimulatedAccount].self, forKey: .accounts) ?? d.accounts
        d.accessTokenLifetimeSeconds =
            try c.decodeIfPresent(Int.self, forKey: .accessTokenLifetimeSeconds) ?? d.accessTokenLifetimeSeconds
        d.refreshTokenLifetimeSeconds =
            try c.decodeIfPresent(Int.self, forKey: .refreshTokenLifetimeSeconds) ?? d.refreshTokenLifetimeSeconds
        d.authorizationCodeLifetimeSeconds =
            try c.decodeIfPresent(Int.self, forKey: .authorizationCodeLifetimeSeconds)
            ?? d.authorizationCodeLifetimeSeconds
        d.clientKeepAliveIntervalMs =
            try c.decodeIfPresent(Int.self, forKey: .clientKeepAliveIntervalMs) ?? d.clientKeepAliveIntervalMs
        d.pushQueueLimit = try c.decodeIfPresent(Int.self, forKey: .pushQueueLimit) ?? d.pushQueueLimit
        guard d.pushQueueLimit >= 1 else {
            throw DecodingError.dataCorruptedError(
                forKey: .pushQueueLimit, in: c, debugDescription: "pushQueueLimit must be at least 1 (got \(d.pushQueueLimit))")
        }
        d.seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        d.fixedClockEpochMs = try c.decodeIfPresent(Int64.self, forKey: .fixedClockEpochMs)
        d.faults = try c.decodeIfPresent(FaultSwitches.self, forKey: .faults) ?? d.faults
        d.scriptPath = try c.decodeIfPresent(String.self, forKey: .scriptPath)
        d.adminAPIEnabled = try c.decodeIfPresent(Bool.self, forKey: .adminAPIEnabled) ?? d.adminAPIEnabled
        d.tls = try c.decodeIfPresent(SimulatorTLS.self, forKey: .tls)
        self = d
    }
}

/// A simulated PSN account.
public struct SimulatedAccount: Codable, Sendable, Equatable {
    /// 19-digit decimal account id (JSON string).
    public var accountId: String
    /// Online id (user name).
    public var onlineId: String
    /// npsso cookie value that signs this account in (A.3).
    public var npsso: String
    /// Platform of this account's member objects. Default `MOBILE_APP`.
    public var platform: String
    /// Server-side `deviceUniqueId` of member objects; `nil` = generated.
    public var deviceUniqueId: String?

    /// Creates an account.
    public init(accountId: String, onlineId: String, npsso: String, platform: String = "MOBILE_APP",
                deviceUniqueId: String? = nil) {
        self.accountId = accountId
        self.onlineId = onlineId
        self.npsso = npsso
        self.platform = platform
        self.deviceUniqueId = deviceUniqueId
    }

    enum CodingKeys: String, CodingKey { case accountId, onlineId, npsso, platform, deviceUniqueId }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.accountId = try c.decode(String.self, forKey: .accountId)
        self.onlineId = try c.decode(String.self, forKey: .onlineId)
        self.npsso = try c.decodeIfPresent(String.self, forKey: .npsso) ?? ""
        self.platform = try c.decodeIfPresent(String.self, forKey: .platform) ?? "MOBILE_APP"
        self.deviceUniqueId = try c.decodeIfPresent(String.self, forKey: .deviceUniqueId)
    }
}

/// Fault and behaviour switches (psn-protocol.md H items 6, 11, 13–17). Settable at start and at run time.
public struct FaultSwitches: Codable, Sendable, Equatable {
    /// Delay every push event by this many milliseconds. Default `0`.
    public var pushDelayMs: Int = 0
    /// Send `partySession:created` before `members:created` on create. Default `false`.
    public var reorderCreateEvents: Bool = false
    /// Remove a member (with `members:deleted`) when all its push sockets stay closed longer than
    /// `pushLossGraceSeconds` (E.9). Default `false`.
    public var dropMembershipOnPushLoss: Bool = false
    /// Grace period for `dropMembershipOnPushLoss`. Default `30`.
    public var pushLossGraceSeconds: Double = 30
    /// Anyone may join INVITE_ONLY parties (models share links). Default `false`.
    public var allowUninvitedJoin: Bool = false
    /// Every customMessage fails with `400 Bad Request (body: null)` (B.10). Default `false`.
    public var rejectCustomMessage: Bool = false
    /// Emit the simulator-only `psn:sessionManager:sys:v2:ps:invitations:created` push to invitees. Default `false`.
    public var emitInvitationPush: Bool = false
    /// D.7 rule 4: the miranda header sender and `from` must be the caller. Default `true`.
    public var strictMirandaIdentity: Bool = true
    /// C.9: add-peer answers `409` unless the bridge is linked to a party the caller belongs to. Default `true`.
    public var requireLinkBeforePeer: Bool = true
    /// C.9: peer, offer, answer and delete calls need a matching `X-PSN-BRIDGE-TOKEN` (`403` otherwise). When
    /// `false` the header may be absent, but a wrong value is still refused. Default `true`.
    public var requireBridgeTokenHeader: Bool = true
    /// C.9 / U24: seconds a deleted bridge keeps occupying its "one linked bridge per user per party" slot.
    /// Default `0` (released immediately).
    public var bridgeReleaseDelaySeconds: Double = 0
    /// H 14: flag (log at warning level and count in `GET /sim/admin/rtc`) links sent less than
    /// `bridgeMinLinkDelayMs` after the bridge was created and answers sent more than `bridgeMaxAnswerDelayMs` after
    /// their offer. Nothing is rejected. Default `false`.
    public var bridgeTimingChecks: Bool = false
    /// Threshold of the early-link check. Default `100` (H 14).
    public var bridgeMinLinkDelayMs: Int = 100
    /// Threshold of the late-answer check. Default `10000` (H 14).
    public var bridgeMaxAnswerDelayMs: Int = 10_000
    /// Per-endpoint 5xx / 429 injection rules, consumed call by call.
    public var httpFaults: [HTTPFaultRule] = []

    /// Creates switches with every default.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case pushDelayMs, reorderCreateEvents, dropMembershipOnPushLoss, pushLossGraceSeconds, allowUninvitedJoin
        case rejectCustomMessage, emitInvitationPush, strictMirandaIdentity, requireLinkBeforePeer
        case requireBridgeTokenHeader, bridgeReleaseDelaySeconds, bridgeTimingChecks, bridgeMinLinkDelayMs
        case bridgeMaxAnswerDelayMs, httpFaults
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        try merge(from: decoder)
    }

    /// Overwrites only the keys present in `decoder` (admin `POST /sim/admin/faults` semantics).
    mutating func merge(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pushDelayMs = try c.decodeIfPresent(Int.self, forKey: .pushDelayMs) ?? pushDelayMs
        reorderCreateEvents = try c.decodeIfPresent(Bool.self, forKey: .reorderCreateEvents) ?? reorderCreateEvents
        dropMembershipOnPushLoss =
            try c.decodeIfPresent(Bool.self, forKey: .dropMembershipOnPushLoss) ?? dropMembershipOnPushLoss
        pushLossGraceSeconds = try c.decodeIfPresent(Double.self, forKey: .pushLossGraceSeconds) ?? pushLossGraceSeconds
        allowUninvitedJoin = try c.decodeIfPresent(Bool.self, forKey: .allowUninvitedJoin) ?? allowUninvitedJoin
        rejectCustomMessage = try c.decodeIfPresent(Bool.self, forKey: .rejectCustomMessage) ?? rejectCustomMessage
        emitInvitationPush = try c.decodeIfPresent(Bool.self, forKey: .emitInvitationPush) ?? emitInvitationPush
        strictMirandaIdentity =
            try c.decodeIfPresent(Bool.self, forKey: .strictMirandaIdentity) ?? strictMirandaIdentity
        requireLinkBeforePeer = try c.decodeIfPresent(Bool.self, forKey: .requireLinkBeforePeer) ?? requireLinkBeforePeer
        requireBridgeTokenHeader =
            try c.decodeIfPresent(Bool.self, forKey: .requireBridgeTokenHeader) ?? requireBridgeTokenHeader
        bridgeReleaseDelaySeconds =
            try c.decodeIfPresent(Double.self, forKey: .bridgeReleaseDelaySeconds) ?? bridgeReleaseDelaySeconds
        bridgeTimingChecks = try c.decodeIfPresent(Bool.self, forKey: .bridgeTimingChecks) ?? bridgeTimingChecks
        bridgeMinLinkDelayMs = try c.decodeIfPresent(Int.self, forKey: .bridgeMinLinkDelayMs) ?? bridgeMinLinkDelayMs
        bridgeMaxAnswerDelayMs =
            try c.decodeIfPresent(Int.self, forKey: .bridgeMaxAnswerDelayMs) ?? bridgeMaxAnswerDelayMs
        httpFaults = try c.decodeIfPresent([HTTPFaultRule].self, forKey: .httpFaults) ?? httpFaults
    }
}

/// "Fail the next `count` calls to `path` with `status`" (H item 17), or answer them with a verbatim `body`.
public struct HTTPFaultRule: Codable, Sendable, Equatable {
    /// Request path to match exactly (without query), or a prefix when it ends with `*`.
    public var path: String
    /// HTTP method to match (`GET`, `POST`, …); `nil` matches any.
    public var method: String?
    /// Status to answer with (e.g. 500, 503, 429).
    public var status: Int
    /// How many matching calls fail before the rule is used up. Default `1`.
    public var count: Int
    /// `Retry-After` seconds sent with the response; default `1` for 429, none otherwise.
    public var retryAfterSeconds: Int?
    /// A body sent verbatim (as `application/json`) with `status` instead of the F.3 error body — e.g. a malformed
    /// `200` from the token endpoint. Default `nil`.
    public var body: String?

    /// Creates a rule.
    public init(
        path: String, method: String? = nil, status: Int, count: Int = 1, retryAfterSeconds: Int? = nil,
        body: String? = nil
    ) {
        self.path = path
        self.method = method
        self.status = status
        self.count = count
        self.retryAfterSeconds = retryAfterSeconds
        self.body = body
    }

    enum CodingKeys: String, CodingKey { case path, method, status, count, retryAfterSeconds, body }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.path = try c.decode(String.self, forKey: .path)
        self.method = try c.decodeIfPresent(String.self, forKey: .method)
        self.status = try c.decode(Int.self, forKey: .status)
        self.count = try c.decodeIfPresent(Int.self, forKey: .count) ?? 1
        self.retryAfterSeconds = try c.decodeIfPresent(Int.self, forKey: .retryAfterSeconds)
        self.body = try c.decodeIfPresent(String.self, forKey: .body)
    }

    func matches(method requestMethod: String, path requestPath: String) -> Bool {
        if let method, method.uppercased() != requestMethod.uppercased() { return false }
        if path.hasSuffix("*") { return requestPath.hasPrefix(String(path.dropLast())) }
        return requestPath == path
    }
}
