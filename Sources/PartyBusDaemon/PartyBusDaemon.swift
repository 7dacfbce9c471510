public import Foundation
public import Logging
public import PSN
public import PSNSimulator
public import PartyBusCore
public import PartyVoice
public import P2P
import ServiceLifecycle
import UnixSignals
import Voice

/// `partybus up`: the one process that writes a data folder's event log. It holds the folder's lock, runs every
/// long-running part as a `Service` of one `ServiceGroup` (engine and plugins, projections, the PSN session and
/// push socket, voice, the control API, the simulator and its scene when simulating) and stops them all cleanly
/// on SIGINT/SIGTERM.
public struct PartyBusDaemon: Sendable {
    /// What to run.
    public struct Options: Sendable {
        /// The configuration; its data folder is the one this daemon owns (live or `<data>/sim`).
        public var config: PartyBusConfig
        /// PSN settings (pointed at the simulator when simulating).
        public var psn: PSNSettings
        /// The built-in simulator, when simulating.
        public var simulator: PSNSimulator?
        /// Play the scripted party scene against the simulator.
        public var scene: Bool
        /// Voice options, or nil when voice is disabled.
        public var voice: PartyVoiceOptions?
        /// Start voice when we create or join a party (or our account joins one elsewhere).
        public var voiceAutoStart: Bool
        /// The control API's TCP listener and token.
        public var api: APISettings
        /// The plugins compiled in.
        public var catalog: PluginCatalog
        /// Called with every event appended while the daemon runs (the terminal echo), if set.
        public var echo: (@Sendable (Event) -> Void)?
        /// The P2P node's settings (the `p2p:` section); nil or disabled runs no node.
        public var p2p: P2PSettings?

        /// Options; see each property.
        public init(
            config: PartyBusConfig, psn: PSNSettings, simulator: PSNSimulator?, scene: Bool, voice: PartyVoiceOptions?,
            voiceAutoStart: Bool, api: APISettings, catalog: PluginCatalog, echo: (@Sendable (Event) -> Void)?
        ) {
            self.config = config
            self.psn = psn
            self.simulator = simulator
            self.scene = scene
            self.voice = voice
            self.voiceAutoStart = voiceAutoStart
            self.api = api
            self.catalog = catalog
            self.echo = echo
        }
    }

    let options: Options
    let logger: Logger

    /// A daemon with these options.
    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// The folder's lock: refused at once when another daemon holds it; a CLI command answering in-process holds it
    /// only for its own short duration, so that one is waited for (at most 10 s).
    static func lock(_ folder: URL) async throws -> DataFolderLock {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            do {
                return try DataFolderLock(folder: folder, purpose: "partybus up")
            } catch let error as DataFolderLockError {
                let holder = DataFolderLock.holder(of: folder)
                guard case .held = error.kind, ContinuousClock.now < deadline,
                    holder == nil || holder?.purpose.contains("in-process") == true
                else { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// The P2P node of these settings: its socket bound and identity loaded (`<data>/p2p-identity.key`, 0600).
    static func p2pNode(_ settings: P2PSettings?, folder: URL) async throws -> P2PNode? {
        guard let settings, settings.enabled else { return nil }
        let (socket, hosts) = try await P2PNode.bind(
            host: settings.listenHost, port: settings.listenPort, includeLoopback: settings.configuration.includeLoopback)
        // Bound to the wildcard address: list the interfaces again now and then (a host that moves).
        let bound = socket.localAddress
        let includeLoopback = settings.configuration.includeLoopback
        var source: HostAddressSource?
        if bound.ip.allSatisfy({ $0 == 0 }) {
            source = { @Sendable in P2PNode.interfaceAddresses(like: bound, includeLoopback: includeLoopback) }
        }
        return try P2PNode(socket: socket, identity: try IdentityKey.loadOrCreate(in: folder), hostAddresses: hosts,
                           configuration: settings.configuration, dataFolder: folder, hostAddressSource: source)
    }

    /// Takes the data folder's lock, then runs until SIGINT/SIGTERM. Throws `DataFolderLockError` at once when
    /// another process holds the folder.
    public func run() async throws {
        let options = self.options
        let logger = self.logger
        let folder = options.config.dataDirectory
        // Before anything appends or calls PSN: their counters bind to the backend when first used.
        let metrics = DaemonMetrics.bootstrap()
        let lock = try await Self.lock(folder)
        defer { lock.release() }
        _ = try options.api.tcpAddress()
        // Voice taps for plugins (AutoRecord): the voice graphs feed them, plugins open them through their context.
        let taps = options.voice == nil ? nil : VoiceTapHub(logger: logger)
        defer { taps?.closeAll() }
        let engine = try Engine(config: options.config, catalog: options.catalog, logger: logger, voiceTaps: taps)
        let log = engine.log
        defer { log.close() }
        let source: EventSource = options.simulator == nil ? .live : .sim
        let client = try PSNClient(
            settings: options.psn, dataDirectory: folder, log: log, source: source, logger: logger)
        let parties = LiveProjection<PartyProjection>(log: log)
        engine.host.attachPartyProjection(parties)
        let voice = options.voice.map { base in
            var voiceOptions = base
            voiceOptions.taps = taps
            return PartyVoice(client: client, log: log, parties: parties, options: voiceOptions, autoStart: options.voiceAutoStart, source: source, logger: logger)
        }
        let p2p = try await Self.p2pNode(options.p2p, folder: folder)
        let context = DaemonContext(
            config: options.config, log: log, client: client, voice: voice, simulated: options.simulator != nil,
            inProcess: false, parties: parties, metrics: metrics, p2p: p2p)
        let firstSeq = log.head + 1

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let simulator = options.simulator { services.append(.init(service: simulator)) }
        services.append(.init(service: EngineService(engine: engine)))
        services.append(.init(service: DaemonPart("party projection") { try await parties.run() }))
        services.append(.init(service: DaemonPart("status projections") { try await context.runProjections() }))
        services.append(.init(service: DaemonPart("log watch") { try await LogWatch.run(log) }))
        if let echo = options.echo {
            services.append(.init(service: DaemonPart("echo") {
                for try await event in log.subscribe(from: firstSeq) { echo(event) }
            }))
        }
        let simulator = options.simulator
        services.append(.init(service: DaemonPart("PSN session and push") {
            if let simulator { _ = try await simulator.waitUntilRunning() }
            try await PSNSession.run(client: client, simulator: simulator, parties: parties, log: log, logger: logger)
        }))
        if let voice { services.append(.init(service: DaemonPart("voice") { try await voice.run(from: firstSeq) })) }
        if let p2p {
            services.append(.init(service: DaemonPart("p2p") {
                try await P2PService.run(node: p2p, log: log, from: firstSeq, logger: logger)
            }))
        }
        services.append(.init(service: ControlServer(
            context: context, socketPath: ControlServer.socketPath(in: folder), settings: options.api, logger: logger)))
        if options.scene, let simulator {
            services.append(.init(service: DaemonPart("simulator scene") {
                try await SimulatorScene.play(simulator: simulator, client: client, log: log)
            }))
        }
        if let notifier = SystemdNotifier.fromEnvironment() {
            // Last in the group, so first to hear of shutdown: STOPPING=1 goes out before the parts stop.
            let socket = ControlServer.socketPath(in: folder)
            services.append(.init(service: DaemonPart("systemd notify") {
                try await notifier.run(ready: {
                    await context.caughtUp()
                    while !FileManager.default.fileExists(atPath: socket) { try await Task.sleep(for: .milliseconds(20)) }
                    return "serving \(socket), log head \(log.head)"
                }, logger: logger)
            }))
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        if let failure = log.writerFailure { throw failure }
    }
}
