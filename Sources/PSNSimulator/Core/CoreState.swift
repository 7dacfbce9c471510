/// All mutable simulator state. Lives inside one `Mutex` (see `SimulatorCore`) so every operation, including the
/// push events it emits, is atomic and events reach each socket in operation order.
struct CoreState: Sendable {
    struct AccessToken: Sendable {
        var accountId: String
        var issuedAtMs: Int64
        var expiresAtMs: Int64
    }

    struct RefreshToken: Sendable {
        var accountId: String
        var absoluteExpiryMs: Int64
        var scope: String
    }

    struct AuthorizationCode: Sendable {
        var accountId: String
        var redirectURI: String
        var expiresAtMs: Int64
    }

    let configuration: SimulatorConfiguration
    var ids: IdentifierFactory
    var clock: SimClock
    var faults: FaultSwitches
    var accounts: [SimulatedAccount] = []
    var accessTokens: [String: AccessToken] = [:]
    var refreshTokens: [String: RefreshToken] = [:]
    var codes: [String: AuthorizationCode] = [:]
    var parties: [String: Party] = [:]
    var creationCounter = 0
    var linkIndex: [String: String] = [:]
    var connections: [UInt64: PushConnection] = [:]
    var nextConnectionId: UInt64 = 1
    var pushGeneration: [String: Int] = [:]
    var boundPort = 0
    var latestSessionId: String?
    /// rtcBridge bridges, peers and slot holds (C).
    var rtc = RTCBridgeStore()
    /// Where media events go when `SimulatorMediaHooks` are installed (see `reportMedia`).
    var mediaEvents: AsyncStream<SimulatorMediaEvent>.Continuation?

    init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        self.ids = IdentifierFactory(seed: configuration.seed)
        self.clock = SimClock(fixedEpochMs: configuration.fixedClockEpochMs)
        self.faults = configuration.faults
        for account in configuration.accounts { _ = addAccount(account) }
    }

    var nowMs: Int64 { clock.nowMs() }

    /// Adds (or replaces) an account, filling a generated `deviceUniqueId`.
    mutating func addAccount(_ account: SimulatedAccount) -> SimulatedAccount {
        var account = account
        if account.deviceUniqueId == nil { account.deviceUniqueId = ids.hex(64) }
        if let index = accounts.firstIndex(where: { $0.accountId == account.accountId }) {
            accounts[index] = account
        } else {
            accounts.append(account)
        }
        return account
    }

    func account(_ accountId: String) -> SimulatedAccount? { accounts.first { $0.accountId == accountId } }

    /// Resolves an account id or online id.
    func resolveActor(_ name: String) -> SimulatedAccount? {
        accounts.first { $0.accountId == name } ?? accounts.first { $0.onlineId == name }
    }

    /// Renders an error body with a fresh referenceId.
    mutating func errorBody(_ error: APIError) -> JSONValue { error.body(referenceId: ids.uuid()) }

    // MARK: Push delivery

    /// Sends one event to every authenticated socket of each recipient, honouring the delay switch.
    mutating func emit(_ dataType: String, data: JSONValue, to recipients: [String]) {
        let notBefore = ContinuousClock.now.advanced(by: .milliseconds(max(0, faults.pushDelayMs)))
        var seen = Set<String>()
        for accountId in recipients where seen.insert(accountId).inserted {
            guard let account = account(accountId) else { continue }
            let frame = PushFrame.event(dataType: dataType, to: account, data: data)
            for connection in connections.values.sorted(by: { $0.id < $1.id }) where connection.accountId == accountId {
                send(.text(frame, notBefore: notBefore), to: connection.id)
            }
        }
    }

    /// Queues a command for one socket; when its bounded queue is full the client is not reading, so the
    /// connection is dropped (the client reconnects and re-reads state, as after any push loss).
    mutating func send(_ command: PushCommand, to id: UInt64) {
        guard let connection = connections[id], !connection.overflowed else { return }
        if case .dropped = connection.continuation.yield(command) {
            connections[id]?.overflowed = true
            connection.closeNow()
        }
    }

    /// Registers a freshly upgraded socket (not yet authenticated).
    mutating func registerConnection(
        _ continuation: AsyncStream<PushCommand>.Continuation, closeNow: @escaping @Sendable () -> Void
    ) -> UInt64 {
        let id = nextConnectionId
        nextConnectionId += 1
        connections[id] = PushConnection(id: id, accountId: nil, continuation: continuation, closeNow: closeNow)
        return id
    }

    /// Whether socket `id` was dropped because its client stopped reading.
    func connectionOverflowed(_ id: UInt64) -> Bool { connections[id]?.overflowed ?? false }

    /// Checks a 1003 auth frame; on success the socket starts receiving events.
    mutating func authenticateConnection(_ id: UInt64, accountIdDigits: String, accessToken: String) -> Bool {
        guard let tokenAccount = validAccessTokenAccount(accessToken), tokenAccount == accountIdDigits,
            connections[id] != nil
        else { return false }
        connections[id]?.accountId = tokenAccount
        pushGeneration[tokenAccount, default: 0] += 1
        return true
    }

    /// Forgets a socket. Returns the account and generation to arm the push-loss timer with, when applicable.
    mutating func removeConnection(_ id: UInt64) -> (accountId: String, generation: Int)? {
        guard let removed = connections.removeValue(forKey: id), let accountId = removed.accountId else { return nil }
        if connections.values.contains(where: { $0.accountId == accountId }) { return nil }
        guard faults.dropMembershipOnPushLoss else { return nil }
        return (accountId, pushGeneration[accountId, default: 0])
    }

    /// Called when the push-loss grace period ends: drops memberships if the user is still offline.
    mutating func pushLossExpired(accountId: String, generation: Int) {
        guard faults.dropMembershipOnPushLoss, pushGeneration[accountId, default: 0] == generation,
            !connections.values.contains(where: { $0.accountId == accountId })
        else { return }
        let sessionIds = parties.values.filter { $0.isMember(accountId) }.map(\.sessionId)
        for sessionId in sessionIds { removeMember(accountId: accountId, from: sessionId) }
    }

    /// Sends a command to every authenticated socket of `accountId`; returns how many sockets got it.
    mutating func commandSockets(of accountId: String, _ command: PushCommand) -> Int {
        var count = 0
        for connection in connections.values where connection.accountId == accountId {
            send(command, to: connection.id)
            count += 1
        }
        return count
    }

    func authenticatedSocketCount(_ accountId: String) -> Int {
        connections.values.filter { $0.accountId == accountId }.count
    }
}
