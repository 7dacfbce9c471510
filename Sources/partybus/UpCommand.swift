import ArgumentParser
import Foundation
import PSN
import PSNSimulator
import PartyBusCore
import PartyBusDaemon
import PartyVoice
import P2P

/// `partybus up`: run the daemon headless until SIGINT or SIGTERM.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run the PartyBus daemon: sign in, keep one push connection, track parties, run voice and plugins.",
        discussion: """
            The daemon is the only process that writes its data folder's event log: it holds <data-dir>/partybus.lock \
            and serves the control API on <data-dir>/control.sock (and on api.listen when configured); `partybus \
            parties …`, `voice …`, `login` and `events tail -f` talk to it. With no PSN credentials configured \
            (psn.clientSecret) it starts the built-in simulator in-process and signs in to it; its data folder is then \
            <data-dir>/sim, which every other command finds the same way. SIGINT/SIGTERM stop it cleanly.
            """)

    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Against the simulator, do not play the scripted party scene.") var noScene = false
    @Flag(name: .long, help: "Against the simulator, give its members no audio (no webrtcbin peers).") var noMedia = false
    @Flag(name: .long, help: "Do not print events.") var quiet = false
    @Flag(name: .long, help: "Print events as JSON lines.") var json = false

    func run() async throws {
        let profile = try global.profile()
        let config = profile.config
        var settings = profile.psn
        var simulator: PSNSimulator?
        if profile.simulated {
            let (configuration, baseURL) = try BuiltinSimulator.fixedPort(try BuiltinSimulator.configuration(config))
            let recordings = config.dataDirectory.appendingPathComponent("recordings")
            simulator = PSNSimulator(
                configuration: configuration, logger: Logging.engine,
                mediaHooks: noMedia ? nil : BuiltinSimulator.media(recordingsIn: recordings, logger: Logging.engine))
            settings = BuiltinSimulator.settings(settings, simulator: configuration, baseURL: baseURL)
            print("PartyBus against the built-in PSN simulator at \(baseURL) — data in \(config.dataDirectory.path)")
        } else {
            print("PartyBus — data in \(config.dataDirectory.path)")
        }
        var echo: (@Sendable (Event) -> Void)?
        if !quiet {
            let printer = EventPrinter(json: json)
            echo = { event in printer.print(event) }
        }
        let voice: PartyVoiceOptions?
        do {
            if VoiceSupport.bool(config, "enabled", default: true) {
                voice = try VoiceSupport.options(config, simulated: profile.simulated)
            } else {
                voice = nil
            }
        } catch let error as VoiceConfigError {
            printError("error: \(config.file ?? "configuration"): \(error)")
            throw ExitCode(2)
        }
        var options = PartyBusDaemon.Options(
            config: config, psn: settings, simulator: simulator, scene: profile.simulated && !noScene, voice: voice,
            voiceAutoStart: VoiceSupport.bool(config, "autoStart", default: true), api: APISettings.from(config),
            catalog: BuiltinPlugins.catalog, echo: echo)
        do {
            options.p2p = try P2PSettings(section: config.sections["p2p"])
        } catch let error as P2PError {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        do {
            try await PartyBusDaemon(options: options, logger: Logging.engine).run()
        } catch let error as DataFolderLockError {
            printError("error: \(error)")
            throw ExitCode(3)
        } catch let error as APISettingsError {
            printError("error: \(error)")
            throw ExitCode(2)
        } catch let error as EventLogError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}
