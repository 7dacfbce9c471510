import Foundation
import Logging
public import PSN
public import PSNSimulator
public import PartyBusCore
public import PartyBusTestSupport

/// Accounts the simulator knows; ids larger than 2^53 on purpose.
public enum TestAccounts {
    public static let me = SimulatedAccount(
        accountId: "1234567890123456789", onlineId: "partybus-me", npsso: String(repeating: "m", count: 64))
    public static let alice = SimulatedAccount(
        accountId: "2234567890123456781", onlineId: "sim-alice", npsso: String(repeating: "a", count: 64), platform: "PS5")
    public static let bob = SimulatedAccount(
        accountId: "3234567890123456782", onlineId: "sim-bob", npsso: String(repeating: "b", count: 64))
}

/// One PartyBus-side client (log, projection, PSN client) pointed at a running simulator.
public final class ClientHarness: Sendable {
    public let dir: TemporaryDirectory
    public let log: EventLog
    public let projection: LiveProjection<PartyProjection>
    public let client: PSNClient
    public let memory: MemoryLog
    private let folding: Task<Void, Never>

    public init(simulator: PSNSimulator, tweak: (inout PSNSettings) -> Void = { _ in }) throws {
        dir = try TemporaryDirectory()
        log = try EventLog(path: dir.path("events.sqlite"))
        projection = LiveProjection<PartyProjection>(log: log)
        memory = MemoryLog()
        var settings = ClientHarness.settings(base: simulator.baseURL!)
        tweak(&settings)
        client = try PSNClient(settings: settings, dataDirectory: dir.url, log: log, source: .sim, logger: memory.logger())
        let projection = self.projection
        folding = Task { try? await projection.run() }
    }

    deinit { folding.cancel() }

    public static func settings(base: String) -> PSNSettings {
        var settings = PSNSettings.defaults
        settings.clientSecret = Secret("sim-client-secret")
        settings.urls = .allOn(base)
        settings.allowInsecureLoopback = true
        settings.throttleMs = 0
        settings.retryBaseMs = 20
        // Like the throttle: off against the simulator (RateLimitTests turn it on with a tiny window).
        settings.rateLimit.requests = 0
        return settings
    }

    /// Runs the push client until the returned task is cancelled.
    public func startPush() -> (PushClient, Task<Void, Never>) {
        var backoff = PushClient.Backoff()
        backoff.initial = .milliseconds(50)
        backoff.cap = .milliseconds(400)
        let push = client.makePushClient(parties: projection, backoff: backoff)
        return (push, Task { await push.run() })
    }

    public func events(_ type: String) throws -> [Event] { try log.read(filter: EventFilter(types: [type])) }

    /// Waits until `count` push connections were made and the simulator has authenticated the socket: the 1003
    /// auth frame gets no reply (E.3), so `push.connected` alone means "sent", not "accepted".
    public func waitForPush(_ simulator: PSNSimulator, account: SimulatedAccount, connections count: Int = 1) async throws -> Bool {
        try await eventually {
            try events("push.connected").count >= count
                && simulator.authenticatedPushSockets(accountId: account.accountId) >= 1
        }
    }

    public func members(_ sessionId: String) -> Set<String> { Set(projection.current.members(of: sessionId).map(\.accountId)) }
}

public func simulatorConfiguration(_ tweak: (inout SimulatorConfiguration) -> Void = { _ in }) -> SimulatorConfiguration {
    var configuration = SimulatorConfiguration(accounts: [TestAccounts.me, TestAccounts.alice, TestAccounts.bob])
    configuration.clientSecret = "sim-client-secret"
    tweak(&configuration)
    return configuration
}
