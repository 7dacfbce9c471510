import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The offline PSN simulator (psn-protocol.md section H). Work in progress.
public enum PSNSimulatorInfo {
    /// The simulator's version.
    public static let version = "0.1.0"
}

/// Why the simulator could not start.
public enum PSNSimulatorError: Error, Sendable {
    /// `run()` ended before the server was listening.
    case stoppedBeforeRunning
    /// The script in `SimulatorConfiguration.scriptPath` could not be loaded.
    case invalidScript(path: String, reason: String)
    /// The certificate or key in `SimulatorConfiguration.tls` could not be loaded.
    case invalidTLS(reason: String)
}

/// One simulated PSN: OAuth, sessionManager, rtcBridge (REST state only), cpss partyInfo, serveraddr and the push
/// WebSocket on a single HTTP server, plus the `/sim/admin/...` control API. With `SimulatorConfiguration.tls` the
/// same server speaks https and wss. With `SimulatorMediaHooks` installed (the `PSNSimulatorMedia` library),
/// scripted members and bridge peers also get real media.
///
/// ```swift
/// let simulator = PSNSimulator(configuration: config)
/// try await withThrowingTaskGroup(of: Void.self) { group in
///     group.addTask { try await simulator.run() }
///     let port = try await simulator.waitUntilRunning()
///     // point every base URL at http://127.0.0.1:<port>
///     group.cancelAll()
/// }
/// ```
/// It is a swift-service-lifecycle `Service`; `run()` returns on graceful shutdown or cancellation. Run it once.
public final class PSNSimulator: Service, Sendable {
    /// The configuration the simulator started with (run-time changes go through the admin API).
    public let configuration: SimulatorConfiguration
    let core: SimulatorCore
    private let logger: Logger
    private let startup = Mutex<StartupState>(StartupState())

    private struct StartupState {
        var port: Int?
        var failed = false
        var waiters: [CheckedContinuation<Int, any Error>] = []
    }

    /// Creates a simulator; nothing listens until `run()`. `mediaHooks` attaches media (scripted members' and bridge
    /// peers' WebRTC, see `SimulatorMediaHooks`); without them the simulator only keeps REST state.
    public init(configuration: SimulatorConfiguration = SimulatorConfiguration(),
                logger: Logger = Logger(label: "psn-simulator"),
                mediaHooks: (any SimulatorMediaHooks)? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.core = SimulatorCore(configuration: configuration, logger: logger, mediaHooks: mediaHooks)
    }

    /// The installed media hooks, if any.
    public var mediaHooks: (any SimulatorMediaHooks)? { core.mediaHooks }

    /// The bound port once the server is listening, else `nil`.
    public var port: Int? { startup.withLock { $0.port } }

    /// `http://<host>:<port>` (`https://` with TLS) once listening, else `nil`. Every base URL (auth
    /// `…/api/authz/v3/oauth/`, mobile API `…/api`, dms, serveraddr, partyInfo) lives under it.
    public var baseURL: String? { port.map { "\(configuration.scheme)://\(configuration.host):\($0)" } }

    /// Waits until the server is listening and returns the bound port.
    public func waitUntilRunning() async throws -> Int {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            let immediate: Result<Int, any Error>? = startup.withLock { state in
                if let port = state.port { return .success(port) }
                if state.failed { return .failure(PSNSimulatorError.stoppedBeforeRunning) }
                state.waiters.append(continuation)
                return nil
            }
            if let immediate { continuation.resume(with: immediate) }
        }
    }

    /// Runs the server until cancelled or gracefully shut down.
    public func run() async throws {
        let script: [ScriptStep]
        if let path = configuration.scriptPath {
            do { script = try SimulatorCore.loadScript(path: path) } catch {
                failStartup()
                throw PSNSimulatorError.invalidScript(path: path, reason: "\(error)")
            }
        } else {
            script = []
        }
        let core = self.core
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: FaultInjectionMiddleware(core: core))
        core.addAuthRoutes(to: router)
        core.addPartyRoutes(to: router)
        core.addBridgeRoutes(to: router)
        core.addServerAddrRoute(to: router)
        if configuration.adminAPIEnabled { core.addAdminRoutes(to: router) }

        let server: HTTPServerBuilder
        do { server = try makeServer() } catch {
            failStartup()
            throw PSNSimulatorError.invalidTLS(reason: "\(error)")
        }
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 serverName: "PSNSimulator"),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? configuration.port
                core.withState { $0.boundPort = port }
                logger.info("PSN simulator listening", metadata: ["port": .stringConvertible(port)])
                if !script.isEmpty { core.runScript(script) }
                let waiters = startup.withLock { state in
                    state.port = port
                    defer { state.waiters = [] }
                    return state.waiters
                }
                for waiter in waiters { waiter.resume(returning: port) }
            },
            logger: logger
        )
        defer { failStartup() }
        // Media events go to the hooks from their own (unstructured, so never cancelled) task; it ends after the
        // hooks have handled `.stopping`, which `run()` waits for so recordings are complete when it returns.
        let media = core.mediaHooks.map { hooks in Task { await core.deliverMediaEvents(to: hooks, simulator: self) } }
        var failure: (any Error)?
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.run() }
                group.addTask { await core.runJobs() }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            failure = error
        }
        core.closeMediaEvents()
        await media?.value
        if let failure { throw failure }
    }

    /// HTTP/1.1 with the push WebSocket upgrade, wrapped in TLS when configured.
    private func makeServer() throws -> HTTPServerBuilder {
        let core = self.core
        let plain = HTTPServerBuilder.http1WebSocketUpgrade(
            configuration: .init(ws: .init(maxFrameSize: 1 << 20, autoPing: .disabled, closeTimeout: .seconds(5)))
        ) { head, channel, logger in
            try await core.shouldUpgrade(head: head, channel: channel, logger: logger)
        }
        guard let tls = configuration.tls else { return plain }
        return try .tls(plain, tlsConfiguration: tls.makeServerConfiguration())
    }

    private func failStartup() {
        let waiters = startup.withLock { state -> [CheckedContinuation<Int, any Error>] in
            if state.port == nil { state.failed = true }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(throwing: PSNSimulatorError.stoppedBeforeRunning) }
    }

    /// Starts a simulator inside its own `ServiceGroup`, runs `body` once it listens, then shuts it down
    /// gracefully (open push sockets get a normal close).
    public static func withRunning<T: Sendable>(
        configuration: SimulatorConfiguration = SimulatorConfiguration(),
        logger: Logger = Logger(label: "psn-simulator"),
        mediaHooks: (any SimulatorMediaHooks)? = nil,
        _ body: @Sendable (PSNSimulator) async throws -> T
    ) async throws -> T {
        let simulator = PSNSimulator(configuration: configuration, logger: logger, mediaHooks: mediaHooks)
        let serviceGroup = ServiceGroup(services: [simulator], logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await serviceGroup.run()
                return nil
            }
            let outcome: Result<T, any Error>
            do {
                _ = try await simulator.waitUntilRunning()
                outcome = .success(try await body(simulator))
            } catch {
                outcome = .failure(error)
            }
            await serviceGroup.triggerGracefulShutdown()
            while (try? await group.next()) != nil {}
            return try outcome.get()
        }
    }

    // MARK: In-process controls (the same as the admin API)

    /// Current fault switches.
    public var faults: FaultSwitches { core.withState { $0.faults } }

    /// Replaces the fault switches.
    public func setFaults(_ faults: FaultSwitches) { core.withState { $0.faults = faults } }

    /// Moves the simulator clock forward (token and code expiry use it).
    public func advanceClock(milliseconds: Int64) { core.withState { $0.clock.offsetMs += milliseconds } }

    /// Adds or replaces a simulated account at run time.
    public func addAccount(_ account: SimulatedAccount) { _ = core.withState { $0.addAccount(account) } }

    /// Number of authenticated push sockets of an account.
    public func authenticatedPushSockets(accountId: String) -> Int {
        core.withState { $0.authenticatedSocketCount(accountId) }
    }

    /// How many undeleted rtcBridge bridges an account owns (tests check that clients delete theirs, C.9 rule 5).
    public func bridgeCount(accountId: String) -> Int {
        core.withState { state in state.rtc.bridges.values.filter { $0.ownerAccountId == accountId }.count }
    }

    /// Makes a simulated account perform a party action (see `ScriptStep`); returns the action's JSON result.
    @discardableResult
    public func perform(actor: String, action: String, args: JSONObject = JSONObject()) throws -> JSONValue {
        try core.withState { (s: inout CoreState) throws(APIError) -> JSONValue in
            try s.perform(actorName: actor, action: action, args: args)
        }
    }

    /// Number of clients flagged by the optional rtcBridge timing checks (`bridgeTimingChecks`, H 14).
    public var bridgeTimingFlagCount: Int { core.withState { $0.rtc.timingFlags.count } }

    /// Runs script steps in the background.
    public func runScript(_ steps: [ScriptStep]) { core.runScript(steps) }
}
