import ArgumentParser
import Foundation
import PartyBusCore
import ServiceLifecycle
import UnixSignals

/// `partybus up`: run the engine headless until SIGINT or SIGTERM.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run the engine headless: the event log and the configured plugins, until SIGINT/SIGTERM.",
        discussion: "Live events are printed as they are appended. PSN sign-in and the simulator join this command with the PSN module.")

    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Do not print events.") var quiet = false
    @Flag(name: .long, help: "Print events as JSON lines.") var json = false

    func run() async throws {
        let config = try global.loadConfig()
        let logger = Logging.engine
        let engine = try Engine(config: config, catalog: BuiltinPlugins.catalog, logger: logger)
        logger.info("event log: \(config.eventLogPath)")
        var services: [any Service] = [EngineService(engine: engine)]
        if !quiet { services.append(EventEchoService(log: engine.log, filter: .all, printer: EventPrinter(json: json))) }
        let group = ServiceGroup(
            configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        engine.log.close()
    }
}
