import ArgumentParser
import Foundation
import PSN
import PSNSimulator
import PartyBusCore
import PartyVoice
import ServiceLifecycle
import UnixSignals

/// `partybus up`: run PartyBus headless until SIGINT or SIGTERM.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run PartyBus headless: sign in, keep one push connection, track parties, run plugins.",
        discussion: """
            With no PSN credentials configured (psn.clientSecret) it starts the built-in simulator in-process and \
            signs in to it, so you see a live party without an account; its data goes to <data-dir>/sim. Live events \
            are printed as they are appended. SIGINT/SIGTERM stop it cleanly.
            """)

    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Use the built-in simulator even when credentials are configured.") var sim = false
    @Flag(name: .long, help: "Against the simulator, do not play the scripted party scene.") var noScene = false
    @Flag(name: .long, help: "Against the simulator, give its members no audio (no webrtcbin peers).") var noMedia = false
    @Flag(name: .long, help: "Do not print events.") var quiet = false
    @Flag(name: .long, help: "Print events as JSON lines.") var json = false

    func run() async throws {
        var config = try global.loadConfig()
        let settings = try PSNSupport.settings(config)
        let simulated = sim || settings.clientSecret == nil || settings.clientSecret?.isEmpty == true
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var simulator: PSNSimulator?
        let controlSocket = config.dataDirectory.appendingPathComponent("control.sock").path
        let voiceOptions = VoiceSupport.options(config, simulated: simulated)
        if simulated {
            config.engine.dataDir = config.dataDirectory.appendingPathComponent("sim").path
            let recordings = config.dataDirectory.appendingPathComponent("recordings")
            let made = PSNSimulator(
                configuration: try BuiltinSimulator.configuration(config), logger: Logging.engine,
                mediaHooks: noMedia ? nil : BuiltinSimulator.media(recordingsIn: recordings))
            simulator = made
            services.append(.init(service: made))
        }
        let daemon = try Daemon(
            config: config, settings: settings, simulator: simulator, scene: simulated && !noScene,
            printer: quiet ? nil : EventPrinter(json: json),
            voice: VoiceSupport.bool(config, "enabled", default: true) ? voiceOptions : nil,
            voiceAutoStart: VoiceSupport.bool(config, "autoStart", default: true), controlSocket: controlSocket)
        services.append(.init(service: daemon))
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: Logging.engine))
        try await group.run()
    }
}

/// Everything `up` runs once PSN is reachable: the engine, the party projection, the push channel, the echo.
struct Daemon: Service, CustomStringConvertible {
    var description: String { "partybus daemon" }

    let config: PartyBusConfig
    let settings: PSNSettings
    let simulator: PSNSimulator?
    let scene: Bool
    let printer: EventPrinter?
    let engine: Engine
    let voice: PartyVoiceOptions?
    let voiceAutoStart: Bool
    let controlSocket: String

    init(
        config: PartyBusConfig, settings: PSNSettings, simulator: PSNSimulator?, scene: Bool, printer: EventPrinter?,
        voice: PartyVoiceOptions?, voiceAutoStart: Bool, controlSocket: String
    ) throws {
        self.voice = voice
        self.voiceAutoStart = voiceAutoStart
        self.controlSocket = controlSocket
        self.config = config
        self.settings = settings
        self.simulator = simulator
        self.scene = scene
        self.printer = printer
        engine = try Engine(config: config, catalog: BuiltinPlugins.catalog, logger: Logging.engine)
    }

    func run() async throws {
        let log = engine.log
        defer { log.close() }
        var settings = self.settings
        var source = EventSource.live
        if let simulator {
            _ = try await simulator.waitUntilRunning()
            settings = BuiltinSimulator.settings(settings, simulator: simulator.configuration, baseURL: simulator.baseURL!)
            source = .sim
            print("PartyBus against the built-in PSN simulator at \(simulator.baseURL!) — data in \(config.dataDirectory.path)")
        }
        let client = try PSNClient(
            settings: settings, dataDirectory: config.dataDirectory, log: log, source: source, logger: Logging.engine)
        let projection = LiveProjection<PartyProjection>(log: log)
        let firstSeq = log.head + 1
        let resolved = settings
        do {
            try await runAll(log: log, client: client, projection: projection, firstSeq: firstSeq, settings: resolved)
        } catch is CancellationError where Task.isShuttingDownGracefully {
            // Graceful shutdown cancels the parts; that is a clean stop, not a failure.
        }
    }

    private func runAll(
        log: EventLog, client: PSNClient, projection: LiveProjection<PartyProjection>, firstSeq: UInt64, settings: PSNSettings
    ) async throws {
        let npsso = settings.npsso
        let engine = self.engine
        let printer = self.printer
        let simulator = self.simulator
        let scene = self.scene
        let voice = self.voice
        let voiceAutoStart = self.voiceAutoStart
        let controlSocket = self.controlSocket
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Each part is cancelled on graceful shutdown (SIGTERM/SIGINT) and that counts as a clean stop; the
            // control server instead follows graceful shutdown itself and drains its connections. A part that
            // fails ends the daemon (the group cancels the others).
            func part(_ name: String, cancelOnShutdown: Bool = true, _ body: @escaping @Sendable () async throws -> Void) {
                group.addTask {
                    defer { Logging.engine.debug("daemon: \(name) stopped") }
                    do {
                        if cancelOnShutdown { try await cancelWhenGracefulShutdown(body) } else { try await body() }
                    } catch is CancellationError where Task.isShuttingDownGracefully {
                        return
                    }
                }
            }
            part("engine") { try await engine.run() }
            part("projection") { try await projection.run() }
            if let printer {
                part("printer") {
                    for try await event in log.subscribe(from: firstSeq) { printer.print(event) }
                }
            }
            try await cancelWhenGracefulShutdown {
                if simulator != nil {
                    try await client.tokens.signIn(npsso: Secret(BuiltinSimulator.me.npsso))
                } else if try await client.tokens.currentTokens() == nil {
                    if let npsso, !npsso.isEmpty {
                        try await client.tokens.signIn(npsso: npsso)
                    } else {
                        throw PSNError.signInRequired("run partybus login first (or set psn.npsso)")
                    }
                }
            }
            let push = client.makePushClient(parties: projection)
            part("push") { await push.run() }
            if let options = voice {
                let partyVoice = PartyVoice(
                    client: client, log: log, parties: projection, options: options, autoStart: voiceAutoStart,
                    source: simulator == nil ? .live : .sim, logger: Logging.engine)
                part("voice") { try await partyVoice.run() }
                let control = ControlServer(
                    socketPath: controlSocket, voice: partyVoice,
                    currentParty: { projection.current.parties.keys.sorted().first }, logger: Logging.engine)
                part("control socket", cancelOnShutdown: false) { try await control.run() }
            }
            if scene, let simulator {
                part("scene") { try await SimulatorScene.play(simulator: simulator, client: client, log: log) }
            }
            // Everything runs until graceful shutdown cancels it; a failure of any part ends the daemon.
            try await group.waitForAll()
        }
    }
}
