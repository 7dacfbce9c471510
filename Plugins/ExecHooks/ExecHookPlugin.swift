import Foundation
import PartyBusPluginAPI
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs any program as a plugin: it gets its events as JSON lines on stdin (the `events export --jsonl` form)
/// and may print event drafts as JSON lines on stdout (`{"type": "...", "payload": {...}}`) to publish them.
///
/// The program is started with the engine and restarted with exponential backoff whenever it exits; each exit is
/// a `plugin.failed` event with its status and last stderr lines. Events wait (up to the handler timeout) while
/// it restarts. The engine's own `PARTYBUS_*` variables are not passed on (they may hold credentials).
public final class ExecHookPlugin: LoadablePlugin {
    public static let name = "exec-hook"
    public static let version = "1.0.0"
    public static let defaultEvents = ["*"]

    private let supervisor: HookSupervisor
    private let context: any PluginContext

    public init(context: any PluginContext, options: PluginOptions) async throws {
        signal(SIGPIPE, SIG_IGN)
        let decoded = try options.decode(ExecHookOptions.self, plugin: context.pluginName)
        let executable = try decoded.resolvedExecutable(plugin: context.pluginName)
        self.context = context
        supervisor = HookSupervisor(context: context, options: decoded, executable: executable)
        if context.mode == .live {
            try await supervisor.start()
        } else {
            try await context.performSideEffect("start \(decoded.command.joined(separator: " "))") {}
        }
    }

    public func handle(_ event: Event) async throws {
        var line = EventJSON.line(for: event)
        line.append(0x0A)
        if context.mode == .replay {
            try await context.performSideEffect("send \(event.type) to \(supervisor.commandText)") {}
            return
        }
        supervisor.lastSent.note(event.seq)
        try await supervisor.send(line)
    }

    public func stop() async {
        await supervisor.stop()
    }
}

/// `hook.output`: a line an exec hook printed that was not an event draft.
public struct HookOutput: EventPayload, Equatable {
    public static let eventType = "hook.output"
    /// The line.
    public var line: String
}

/// The seq of the last event handed to a hook program, read when its printed drafts are published.
final class LastSentEvent: Sendable {
    private let value = Mutex<UInt64?>(nil)
    /// Remembers `seq` as the last event sent.
    func note(_ seq: UInt64) { value.withLock { $0 = seq } }
    /// The last event sent, if any.
    var seq: UInt64? { value.withLock { $0 } }
}

/// Bounds the drafts a hook has printed but the host has not published yet: the stdout reader (a dispatch thread,
/// never the cooperative pool) takes a credit per line and waits when none is left, so a hook that prints faster
/// than the log takes its drafts is slowed by its own pipe instead of growing a buffer; nothing is dropped.
final class DraftCredits: Sendable {
    /// Lines that may wait for the publisher at once.
    static let capacity = 256
    private let semaphore = DispatchSemaphore(value: DraftCredits.capacity)
    private let stopped = Atomic<Bool>(false)

    /// Waits for a credit; false once the hook is being stopped.
    func take() -> Bool {
        while semaphore.wait(timeout: .now() + .milliseconds(200)) == .timedOut {
            if stopped.load(ordering: .relaxed) { return false }
        }
        return true
    }

    /// Gives a credit back (the publisher took a line).
    func give() { semaphore.signal() }

    /// Lets a waiting reader go.
    func stop() { stopped.store(true, ordering: .relaxed) }
}

/// Keeps one hook program running: start, restart with backoff, stop; hands lines to it in order.
actor HookSupervisor {
    private let context: any PluginContext
    private let options: ExecHookOptions
    private let executable: String
    private var process: HookProcess?
    private var waiters: [CheckedContinuation<HookProcess, any Error>] = []
    private var stopping = false
    private var backoff: Duration
    private var stderrTail: [String] = []
    private var generation = 0
    private let drafts: AsyncStream<Data>.Continuation
    private let credits = DraftCredits()
    private let publisher: Task<Void, Never>

    nonisolated let commandText: String
    /// The seq of the last event written to the program: drafts that name no correlation get `seq:<it>`.
    nonisolated let lastSent: LastSentEvent

    init(context: any PluginContext, options: ExecHookOptions, executable: String) {
        self.context = context
        self.options = options
        self.executable = executable
        commandText = options.command.joined(separator: " ")
        backoff = .milliseconds(options.restartMinMs ?? 200)
        let (stream, continuation) = AsyncStream<Data>.makeStream()
        drafts = continuation
        let lastSent = LastSentEvent()
        self.lastSent = lastSent
        let credits = self.credits
        publisher = Task {
            for await line in stream {
                defer { credits.give() }
                do {
                    var draft = try EventJSON.draft(
                        fromJSON: line, defaultStream: "plugin/\(context.pluginName)", source: .live)
                    if draft.correlation == nil, let seq = lastSent.seq { draft.correlation = "seq:\(seq)" }
                    try await context.publish(draft)
                } catch {
                    context.logger.warning(
                        "hook printed a line that is not an event draft (\(error)); kept as hook.output")
                    _ = try? await context.publish(
                        HookOutput(line: String(decoding: line.prefix(2000), as: UTF8.self)))
                }
            }
        }
    }

    /// Starts the program; throws when it cannot be started at all.
    func start() throws {
        generation += 1
        let generation = self.generation
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PARTYBUS_") }
        environment["PARTYBUS_PLUGIN"] = context.pluginName
        environment["PARTYBUS_PLUGIN_DATA"] = context.dataDirectory.path
        for (key, value) in options.env ?? [:] { environment[key] = value }
        let drafts = self.drafts
        let credits = self.credits
        let started = try HookProcess(
            executable: executable, arguments: Array(options.command.dropFirst()), environment: environment,
            cwd: options.cwd, label: context.pluginName,
            onLine: { line in
                guard credits.take() else { return }
                if line.first == UInt8(ascii: "{") {
                    drafts.yield(line)
                } else {
                    drafts.yield(HookSupervisor.outputDraft(line))
                }
            },
            onError: { [weak self] line in Task { await self?.noteStderr(line) } },
            onExit: { [weak self] status, signalled in
                Task { await self?.exited(generation: generation, status: status, signalled: signalled) }
            })
        process = started
        context.logger.info("hook started: \(commandText) (pid \(started.pid))")
        for waiter in waiters { waiter.resume(returning: started) }
        waiters.removeAll()
    }

    /// Sends one line, waiting for the program while it restarts.
    func send(_ line: Data) async throws {
        let target: HookProcess
        if let process {
            target = process
        } else {
            if stopping { throw PluginError("hook '\(context.pluginName)' is stopping") }
            target = try await withCheckedThrowingContinuation { waiters.append($0) }
        }
        try await target.write(line)
    }

    /// Stops the program and the restart loop.
    func stop() async {
        stopping = true
        for waiter in waiters { waiter.resume(throwing: PluginError("hook '\(context.pluginName)' stopped")) }
        waiters.removeAll()
        if let process {
            self.process = nil
            await process.terminate(grace: .seconds(2))
        }
        credits.stop()
        drafts.finish()
        await publisher.value
    }

    private func noteStderr(_ line: String) {
        context.logger.warning("hook stderr: \(line)")
        stderrTail.append(line)
        if stderrTail.count > 10 { stderrTail.removeFirst(stderrTail.count - 10) }
    }

    private func exited(generation: Int, status: Int32, signalled: Bool) async {
        guard generation == self.generation, let finished = process else { return }
        process = nil
        if stopping { return }
        let ranFor = ContinuousClock.now - finished.startedAt
        if ranFor > .seconds(10) { backoff = .milliseconds(options.restartMinMs ?? 200) }
        let delay = backoff
        backoff = min(backoff * 2, .milliseconds(options.restartMaxMs ?? 30_000))
        // Let the stderr reader deliver the last lines before reporting them.
        try? await Task.sleep(for: .milliseconds(50))
        let how = signalled ? "was killed by signal \(status)" : "exited with status \(status)"
        let tail = stderrTail.isEmpty ? "" : "; stderr: " + stderrTail.suffix(3).joined(separator: " | ")
        stderrTail.removeAll()
        let message = "hook '\(commandText)' \(how) after \(ranFor.formatted(.units(allowed: [.milliseconds])))"
            + "\(tail); restarting in \(delay.formatted(.units(allowed: [.milliseconds])))"
        context.logger.warning("\(message)")
        _ = try? await context.publish(PluginFailed(plugin: context.pluginName, reason: "exited", message: message))
        var wait = delay
        while true {
            try? await Task.sleep(for: wait)
            guard !stopping, process == nil else { return }
            do {
                try start()
                return
            } catch {
                let failure = "hook '\(commandText)' could not be restarted: \(error)"
                context.logger.error("\(failure)")
                _ = try? await context.publish(
                    PluginFailed(plugin: context.pluginName, reason: "exited", message: failure))
                wait = backoff
                backoff = min(backoff * 2, .milliseconds(options.restartMaxMs ?? 30_000))
            }
        }
    }

    private static func outputDraft(_ line: Data) -> Data {
        var out = Data(#"{"type":"hook.output","payload":{"line":"#.utf8)
        EventJSON.appendQuoted(String(decoding: line.prefix(2000), as: UTF8.self), to: &out)
        out.append(contentsOf: "}}".utf8)
        return out
    }
}
