public import Foundation
public import Logging
public import PSN
public import PSNSimulator
public import PSNSimulatorMedia
public import PartyBusCore

/// The built-in simulator's cast and settings: `sim:` from the config over these defaults.
public enum BuiltinSimulator {
    /// The account PartyBus signs in as.
    public static let me = SimulatedAccount(
        accountId: "1000000000000000001", onlineId: "partybus-you", npsso: "sim-npsso-you-" + String(repeating: "0", count: 50))
    /// Scripted remote members.
    public static let cast = [
        SimulatedAccount(accountId: "2000000000000000002", onlineId: "sim-alice", npsso: "sim-npsso-alice-" + String(repeating: "0", count: 48), platform: "PS5"),
        SimulatedAccount(accountId: "3000000000000000003", onlineId: "sim-bob", npsso: "sim-npsso-bob-" + String(repeating: "0", count: 50), platform: "PS4"),
    ]

    /// The simulator configuration: the `sim:` section decoded over the defaults, loopback only.
    public static func configuration(_ config: PartyBusConfig, port: Int? = nil) throws -> SimulatorConfiguration {
        let section = config.sections["sim"] ?? .object([:])
        var configuration = try JSONDecoder().decode(SimulatorConfiguration.self, from: JSONEncoder().encode(section))
        if configuration.accounts.isEmpty { configuration.accounts = [me] + cast }
        if let port { configuration.port = port }
        guard PSNSettings.isLoopback(configuration.host) else {
            throw PSNError.configuration("sim.host must be a loopback address, not \(configuration.host)")
        }
        return configuration
    }

    /// Media for the simulator's scripted members (each a webrtcbin peer with its own tone, recording what it
    /// hears into `directory`) and its rtcBridge bridge peers; ICE on 127.0.0.1 only.
    /// `tones` (Hz, in the order of the configured accounts) replace the default tones when not empty;
    /// `meshBetweenMembers` off makes scripted members talk only to clients (see `SimulatorMediaOptions`).
    public static func media(recordingsIn directory: URL, tones: [Double] = [], meshBetweenMembers: Bool = true,
                             logger: Logger) -> SimulatorMedia {
        var options = SimulatorMediaOptions(recordDirectory: directory.path, localAddresses: ["127.0.0.1"])
        if !tones.isEmpty { options.defaultTones = tones }
        options.meshBetweenMembers = meshBetweenMembers
        return SimulatorMedia(options: options, logger: logger)
    }

    /// PSN settings that point every base URL at a running simulator.
    public static func settings(_ base: PSNSettings, simulator: SimulatorConfiguration, baseURL: String) -> PSNSettings {
        var settings = base
        settings.urls = .allOn(baseURL)
        settings.allowInsecureLoopback = true
        settings.clientSecret = Secret(simulator.clientSecret)
        settings.clientId = simulator.clientId
        settings.throttleMs = 0
        // The simulator is ours: no client-side rate limit against it (psn.rateLimit protects a real account).
        settings.rateLimit.requests = 0
        return settings
    }
}
