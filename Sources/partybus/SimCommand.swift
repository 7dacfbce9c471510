import ArgumentParser
import Foundation
import PSN
import PSNSimulator
import PartyBusCore
import PartyBusDaemon
import ServiceLifecycle
import UnixSignals

/// `partybus sim`: serve the PSN simulator on loopback.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Serve the offline PSN simulator on loopback (auth, sessionManager, push, faults, scripted members).",
        discussion: """
            Prints its base URL, its accounts and a psn: configuration block that points PartyBus at it. The admin \
            API under /sim/admin lets you script remote members and switch faults (see docs/simulator.md).
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Port on 127.0.0.1 (0: any free port).") var port = 0
    @Option(name: .long, help: "Give scripted members real audio (a tone each) and record what they and bridges hear into this folder.")
    var media: String?
    @Option(name: .long, help: "With --media: the members' tones in Hz, comma-separated, in account order (default 440,550,770,880,990, repeating).")
    var mediaTones: String?
    @Flag(name: .long, help: "With --media: members talk only to clients, not to each other (N members: N peers, not N²).")
    var mediaClientsOnly = false

    func run() async throws {
        let config = try global.loadConfig()
        let tones = try Self.tones(mediaTones)
        let configuration = try BuiltinSimulator.configuration(config, port: port)
        let simulator = PSNSimulator(
            configuration: configuration, logger: Logging.engine,
            mediaHooks: media.map {
                BuiltinSimulator.media(recordingsIn: URL(fileURLWithPath: $0), tones: tones,
                                       meshBetweenMembers: !mediaClientsOnly, logger: Logging.engine)
            })
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: simulator), .init(service: SimAnnouncer(simulator: simulator))],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: Logging.engine))
        try await group.run()
    }

    /// `--media-tones`: positive frequencies below 24 kHz, comma-separated.
    static func tones(_ text: String?) throws -> [Double] {
        guard let text else { return [] }
        return try text.split(separator: ",").map { item in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard let hz = Double(trimmed), hz.isFinite, hz > 0, hz < 24000 else {
                throw ValidationError("--media-tones: '\(trimmed)' is not a frequency in Hz (0 < f < 24000)")
            }
            return hz
        }
    }
}

/// Prints where the simulator listens once it does.
struct SimAnnouncer: Service {
    let simulator: PSNSimulator

    func run() async throws {
        _ = try await simulator.waitUntilRunning()
        let base = simulator.baseURL ?? "?"
        let urls = PSNSettings.URLs.allOn(base)
        print("PSN simulator listening on \(base)")
        for account in simulator.configuration.accounts {
            print("  account \(account.onlineId)  id \(account.accountId)  npsso \(account.npsso)")
        }
        print("""

            Point PartyBus at it (config/partybus.yaml):
            psn:
              clientSecret: \(simulator.configuration.clientSecret)
              allowInsecureLoopback: true
              urls:
                auth: \(urls.auth)
                api: \(urls.api)
                accountsMe: \(urls.accountsMe)
                pushServerAddr: \(urls.pushServerAddr)
                partyInfo: \(urls.partyInfo)
            """)
        try await gracefulShutdown()
    }
}
