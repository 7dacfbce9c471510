import Foundation
import Logging
import PartyBusPluginAPI
import Synchronization

/// Runs one plugin: creates it, feeds it its events from its checkpoint on, times each call out, turns failures
/// into `plugin.failed` events, and saves its checkpoint.
final class PluginRunner: Sendable {
    let registration: PluginRegistration
    let context: EngineContext
    private let log: EventLog
    private let options: PluginHost.Options
    private let status: Mutex<PluginStatus>
    private let busy = Mutex(true)
    /// The last seq whose handling finished (handled, failed, timed out or skipped).
    private let handled = Mutex<UInt64>(0)
    private let subscription = Mutex<EventSubscription?>(nil)
    private let instance = Mutex<(any Plugin)?>(nil)
    /// Where the plugin's calls run: its own thread, so one that blocks starves nobody else.
    private let thread: PluginThread

    init(registration: PluginRegistration, context: EngineContext, log: EventLog, options: PluginHost.Options) {
        self.registration = registration
        self.context = context
        self.log = log
        self.options = options
        thread = PluginThread(name: registration.name)
        status = Mutex(
            PluginStatus(
                name: registration.name, kind: registration.kind, state: .starting, checkpoint: 0, handled: 0,
                failures: 0, overflows: 0, lastError: nil))
    }

    var name: String { registration.name }

    var currentStatus: PluginStatus {
        var current = status.withLock { $0 }
        current.overflows = subscription.withLock { $0?.overflowCount ?? 0 }
        return current
    }

    /// True when the plugin has handled everything in the log up to `head` (or is not running).
    func isIdle(head: UInt64) -> Bool {
        switch status.withLock({ $0.state }) {
        case .failed, .stopped: return true
        case .starting: return false
        case .running: break
        }
        if busy.withLock({ $0 }) { return false }
        // Position and the last seq handed out are read together, then what was handled: a batch just taken (the
        // position already past it, `busy` not yet set) is not handled yet, so this is not idle. Reading only the
        // position let `waitUntilIdle` answer before the last event was handled (a replay could miss its reaction).
        guard let progress = subscription.withLock({ $0?.progress }) else { return false }
        return progress.position > head && handled.withLock({ $0 }) >= progress.delivered
    }

    /// Runs until cancelled, then stops the plugin.
    func run() async {
        defer { thread.close() }
        guard let plugin = await create() else { return }
        let from: UInt64
        do {
            if let checkpoint = try log.checkpoint(for: name) {
                from = checkpoint + 1
            } else {
                from = registration.startAtBeginning ? 1 : log.head + 1
                log.saveCheckpoint(from - 1, for: name)
            }
        } catch {
            await fail(reason: "start", message: "cannot read checkpoint: \(error)", event: nil)
            status.withLock { $0.state = .failed }
            return
        }
        let feed = log.subscribe(from: from, filter: registration.filter, bufferCapacity: options.queueCapacity)
        subscription.withLock { $0 = feed }
        status.withLock {
            $0.state = .running
            $0.checkpoint = from - 1
        }
        await appendCoreEvent(PluginStarted(plugin: name, kind: registration.kind.rawValue, fromSeq: from))
        await consume(feed, plugin: plugin)
        feed.cancel()
        await stop(plugin)
    }

    private func create() async -> (any Plugin)? {
        let make = registration.make
        let context = self.context
        let made = Mutex<(any Plugin)?>(nil)
        let outcome = await HandlerCall.run(timeout: options.startTimeout, on: thread) {
            let plugin = try await make(context)
            made.withLock { $0 = plugin }
        }
        guard outcome == .done, let plugin = made.withLock({ $0 }) else {
            let message =
                switch outcome {
                case .threw(let message): message
                case .timedOut: "did not start within \(options.startTimeout)"
                default: "start was cancelled"
                }
            status.withLock {
                $0.state = .failed
                $0.lastError = message
            }
            busy.withLock { $0 = false }
            options.logger.error("plugin \(name) failed to start: \(message)")
            await fail(reason: "start", message: message, event: nil)
            return nil
        }
        instance.withLock { $0 = plugin }
        return plugin
    }

    private func consume(_ feed: EventSubscription, plugin: any Plugin) async {
        var lastOverflows = 0
        var previousTimedOut = false

        while !Task.isCancelled {
            busy.withLock { $0 = false }
            let batch: [Event]?
            do {
                batch = try await feed.nextBatch(maxCount: 256)
            } catch {
                options.logger.error("plugin \(name): reading the log failed: \(error)")
                await fail(reason: "read", message: "\(error)", event: nil)
                return
            }
            guard let batch else { return }
            busy.withLock { $0 = true }
            for event in batch {
                if Task.isCancelled { break }
                defer { handled.withLock { $0 = event.seq } }
                context.setCurrent(event.seq)
                let skipped = previousTimedOut ? await threadStillBlocked() : false
                let outcome: HandlerOutcome =
                    skipped
                    ? .timedOut
                    : await HandlerCall.run(timeout: options.handlerTimeout, on: thread) {
                        try await plugin.handle(event)
                    }
                context.setCurrent(nil)
                previousTimedOut = outcome == .timedOut
                switch outcome {
                case .done:
                    break
                case .timedOut where skipped:
                    await fail(
                        reason: "timeout",
                        message: "its thread is still blocked by an earlier call; the event was not delivered",
                        event: event)
                case .threw(let message):
                    await fail(reason: "threw", message: message, event: event)
                case .timedOut:
                    await fail(
                        reason: "timeout", message: "no answer within \(options.handlerTimeout); call abandoned",
                        event: event)
                case .cancelled:
                    if Task.isCancelled { return }
                    await fail(reason: "threw", message: "the handler was cancelled", event: event)
                }
                status.withLock {
                    $0.handled += 1
                    $0.checkpoint = event.seq
                }
                log.saveCheckpoint(event.seq, for: name)
            }
            let overflows = feed.overflowCount
            if overflows > lastOverflows {
                lastOverflows = overflows
                options.logger.warning("plugin \(name) fell behind; it reads from the log until it catches up")
                await appendCoreEvent(PluginLagging(plugin: name, nextSeq: feed.position))
            }
        }
    }

    /// After a timed-out call: true when it still blocks the plugin's thread after waiting up to the handler timeout
    /// more. The next call is then not made (it would only queue behind the blocked one).
    private func threadStillBlocked() async -> Bool {
        guard thread.isRunningJob else { return false }
        return await !thread.waitUntilFree(atMost: options.handlerTimeout)
    }

    private func stop(_ plugin: any Plugin) async {
        // Stop outside the cancelled task so the plugin gets its full timeout to clean up.
        let timeout = options.stopTimeout
        let thread = self.thread
        let outcome = await Task { await HandlerCall.run(timeout: timeout, on: thread) { await plugin.stop() } }.value
        if outcome != .done { options.logger.warning("plugin \(name) did not stop cleanly: \(outcome)") }
        let checkpoint = status.withLock {
            $0.state = .stopped
            return $0.checkpoint
        }
        busy.withLock { $0 = false }
        await appendCoreEvent(PluginStopped(plugin: name, checkpoint: checkpoint))
    }

    private func fail(reason: String, message: String, event: Event?) async {
        status.withLock {
            $0.failures += 1
            $0.lastError = message
        }
        options.logger.warning(
            "plugin \(name) \(reason)\(event.map { " on #\($0.seq) \($0.type)" } ?? ""): \(message)")
        options.recorder?.record(.init(plugin: name, triggerSeq: event?.seq, kind: .failed, detail: message))
        await appendCoreEvent(
            PluginFailed(plugin: name, reason: reason, message: message, seq: event?.seq, eventType: event?.type))
    }

    /// Appends a `plugin.*` event on the plugin's stream; a failure to append is logged, never thrown.
    private func appendCoreEvent<Payload: EventPayload>(_ payload: Payload) async {
        do {
            let draft = try EventDraft(
                stream: "plugin/\(name)", payload: payload, source: options.source,
                correlation: context.current.map { "seq:\($0)" })
            try await log.append(draft)
        } catch {
            options.logger.error("plugin \(name): cannot append \(Payload.eventType): \(error)")
        }
    }
}
