import Logging
import PSNSimulator

extension PSNSimulator {
    /// Starts a simulator with `SimulatorMedia` installed, runs `body` once it listens, then shuts it down; every
    /// recording is complete when this returns.
    ///
    /// ```swift
    /// try await PSNSimulator.withMedia(SimulatorMediaOptions(recordDirectory: dir), configuration: config) { sim, media in
    ///     try sim.perform(actor: "sim-alice", action: "create")
    ///     …
    /// }
    /// ```
    public static func withMedia<T: Sendable>(
        _ options: SimulatorMediaOptions,
        configuration: SimulatorConfiguration = SimulatorConfiguration(),
        logger: Logger = Logger(label: "psn-simulator"),
        _ body: @Sendable (PSNSimulator, SimulatorMedia) async throws -> T
    ) async throws -> T {
        let media = SimulatorMedia(options: options, logger: logger)
        return try await withRunning(configuration: configuration, logger: logger, mediaHooks: media) { simulator in
            try await body(simulator, media)
        }
    }
}
