public import Foundation
public import PSN
public import PartyBusCore
public import PartyVoice
public import P2P

/// Everything a control request may use, shared by the daemon's parts: the log (which this process alone writes),
/// the PSN client, the projections the status is read from, and voice when it runs.
public final class DaemonContext: Sendable {
    /// The configuration, with the data folder resolved (live or simulator).
    public let config: PartyBusConfig
    /// The event log.
    public let log: EventLog
    /// The PSN client (or the simulator's, when simulating).
    public let client: PSNClient
    /// Which parties we are in, folded from the log.
    public let parties: LiveProjection<PartyProjection>
    /// Account, push state and invitations, folded from the log.
    public let status: LiveProjection<DaemonStatusProjection>
    /// Plugin states, folded from the log.
    public let plugins: LiveProjection<PluginStatusProjection>
    /// Voice, when enabled (nil in the CLI's in-process fallback, which runs no voice).
    public let voice: PartyVoice?
    /// True against the built-in simulator.
    public let simulated: Bool
    /// True when a CLI command runs the API in its own process because no daemon is running.
    public let inProcess: Bool
    /// Leaving, accepting and the other party actions that involve more than one call.
    public let lifecycle: PartyLifecycle
    /// When this process started serving.
    public let startedAt: Date
    /// The Prometheus registry behind `/metrics` (nil for a CLI command answering in-process).
    public let metrics: DaemonMetrics?
    /// The P2P node (issue 13), when `p2p.enabled` and inside the daemon.
    public let p2p: P2PNode?

    /// A context over running parts.
    public init(
        config: PartyBusConfig, log: EventLog, client: PSNClient, voice: PartyVoice?, simulated: Bool, inProcess: Bool,
        parties: LiveProjection<PartyProjection>, metrics: DaemonMetrics? = nil, p2p: P2PNode? = nil
    ) {
        self.metrics = metrics
        self.p2p = p2p
        self.config = config
        self.log = log
        self.client = client
        self.parties = parties
        status = LiveProjection(log: log)
        plugins = LiveProjection(log: log)
        self.voice = voice
        self.simulated = simulated
        self.inProcess = inProcess
        lifecycle = PartyLifecycle(client: client, voice: voice)
        startedAt = Date()
    }

    /// Runs the projections until cancelled (the parties projection is run by whoever made it).
    func runProjections() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.status.run() }
            group.addTask { try await self.plugins.run() }
            try await group.waitForAll()
        }
    }

    /// Runs the status projections for a CLI command answering in-process (the parties projection is the caller's).
    public func runInProcessProjections() async throws { try await runProjections() }

    /// Waits until the projections have folded everything appended so far (before answering a read).
    func caughtUp() async {
        let head = log.head
        await parties.waitUntilFolded(head)
        await status.waitUntilFolded(head)
        await plugins.waitUntilFolded(head)
    }
}
