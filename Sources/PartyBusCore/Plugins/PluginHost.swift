public import Foundation
public import Logging
public import PartyBusPluginAPI
import Synchronization

/// Runs plugins beside the event log: each in its own task with its own bounded queue and checkpoint, so a
/// plugin that throws, hangs or is slow never blocks the log, the bus, or another plugin.
///
/// `run()` is a long-running service: it returns when its task is cancelled, after stopping every plugin.
public final class PluginHost: Sendable {
    /// How plugins are run.
    public struct Options: Sendable {
        /// Longest a plugin may take for one event before the call is abandoned (default 5 s).
        public var handlerTimeout: Duration = .seconds(5)
        /// Longest a plugin may take to start (default 10 s).
        public var startTimeout: Duration = .seconds(10)
        /// Longest a plugin may take to stop (default 5 s).
        public var stopTimeout: Duration = .seconds(5)
        /// Events buffered per plugin before it falls back to reading the log (default 1024).
        public var queueCapacity: Int = 1024
        /// How often pending checkpoints are written when nothing else is (default 250 ms).
        public var checkpointInterval: Duration = .milliseconds(250)
        /// Where plugin data folders go (`<root>/plugins/<name>`).
        public var dataRoot: URL
        /// The source stamped on events plugins publish.
        public var source: EventSource = .live
        /// Set during a replay: side effects are recorded here, not performed.
        public var recorder: ReplayRecorder?
        /// `plugins test`: with a recorder the plugins still run live (exec hooks start their program); what they
        /// publish and the side effects they ask for are recorded.
        public var liveWithRecorder = false
        /// `plugins test --perform`: recorded side effects are also performed.
        public var performRecordedSideEffects = false
        /// The engine's logger.
        public var logger: Logger
        /// Milliseconds since 1970.
        public var clock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
        /// Voice taps plugins may open (`partybus up` with voice); nil otherwise.
        public var voiceTaps: (any VoiceTapSource)?

        /// Options with the defaults above.
        public init(dataRoot: URL, logger: Logger) {
            self.dataRoot = dataRoot
            self.logger = logger
        }
    }

    private let log: EventLog
    private let options: Options
    private let runners: [PluginRunner]
    private let projections: PluginProjectionHub

    /// Prepares the plugins; nothing runs until `run()`. Names must be unique.
    public init(log: EventLog, registrations: [PluginRegistration], options: Options) throws {
        self.log = log
        self.options = options
        let projections = PluginProjectionHub()
        self.projections = projections
        var seen = Set<String>()
        var runners: [PluginRunner] = []
        for registration in registrations {
            guard seen.insert(registration.name).inserted else {
                throw PluginError("two plugins are named '\(registration.name)'")
            }
            let context = try EngineContext(
                pluginName: registration.name, log: log, source: options.source, dataRoot: options.dataRoot,
                logger: options.logger, recorder: options.recorder, clock: options.clock, projections: projections,
                liveWithRecorder: options.liveWithRecorder, performRecorded: options.performRecordedSideEffects,
                voiceTaps: options.voiceTaps)
            runners.append(PluginRunner(registration: registration, context: context, log: log, options: options))
        }
        self.runners = runners
    }

    /// Lets plugins read the party projection (`context.parties()`); the daemon attaches its own before running.
    public func attachPartyProjection(_ reader: any PartyProjectionReader) { projections.parties = reader }

    /// The names of the plugins, in registration order.
    public var pluginNames: [String] { runners.map(\.name) }

    /// Runs every plugin until cancelled; then stops them and writes their checkpoints.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for runner in runners {
                group.addTask { await runner.run() }
            }
            group.addTask { [log, options] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: options.checkpointInterval)
                    try? await log.flush()
                }
            }
        }
        try? await log.flush()
    }

    /// What each plugin is doing.
    public func statuses() -> [PluginStatus] { runners.map(\.currentStatus) }

    /// Waits until every running plugin has handled everything up to the log's current head, or `timeout`.
    /// Returns false on timeout.
    public func waitUntilIdle(timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let head = log.head
            if runners.allSatisfy({ $0.isIdle(head: head) }) && log.head == head { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }
}
