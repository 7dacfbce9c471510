public import Foundation
public import PartyBusPluginAPI
import Synchronization

/// A `PluginContext` for a plugin's own unit tests: it keeps what the plugin publishes, the side effects it asks
/// for and what it logs, serves a party projection the test sets, and feeds events the way the engine does (one at a
/// time, drafts correlated `seq:N`). Side effects are recorded and not performed unless `performSideEffects` is on.
///
/// ```swift
/// let context = try FakePluginContext(pluginName: "greeter")
/// let plugin = try await Greeter(context: context, options: PluginOptions(.object(["greeting": .string("hi")])))
/// try await context.deliver(context.event(PartyMemberJoined(sessionId: "s1", member: PartyMember(accountId: "1", onlineId: "alice"))), to: plugin)
/// #expect(context.published.first?.type == "greeter.said")
/// ```
public final class FakePluginContext: PluginContext, PartyProjectionReader {
    public let pluginName: String
    public let dataDirectory: URL
    public let mode: EngineMode

    private struct State {
        var published: [Event] = []
        var sideEffects: [String] = []
        var logged: [String] = []
        var parties: [PartyView] = []
        var nextSeq: UInt64 = 1
        var handling: UInt64?
        var clock: Int64 = 1_800_000_000_000
    }

    private let state = Mutex(State())
    private let performs: Bool

    /// A context for `pluginName` with a fresh data folder under the temporary directory; `mode: .replay` makes a
    /// plugin describe its side effects only; `performSideEffects` runs them (a live test against a real receiver).
    public init(pluginName: String, mode: EngineMode = .live, performSideEffects: Bool = false) throws {
        self.pluginName = pluginName
        self.mode = mode
        performs = performSideEffects && mode == .live
        dataDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("partybus-plugin-test-\(UUID().uuidString)").appendingPathComponent(pluginName)
        try FileManager.default.createDirectory(
            at: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// A logger whose lines are kept in `logged` (level and message).
    public var logger: Logger {
        Logger(label: "plugin.\(pluginName)") { [weak self] _ in CapturingLogHandler(context: self) }
    }

    public func now() -> Int64 { state.withLock { $0.clock } }

    /// Sets the clock (milliseconds since 1970).
    public func setClock(_ milliseconds: Int64) { state.withLock { $0.clock = milliseconds } }

    @discardableResult
    public func publish(_ draft: EventDraft) async throws -> Event {
        try EventDraft.validate(type: draft.type, stream: draft.stream)
        return state.withLock { state in
            let event = Event(
                seq: state.nextSeq, at: state.clock, stream: draft.stream, type: draft.type, version: draft.version,
                source: draft.source, correlation: draft.correlation ?? state.handling.map { "seq:\($0)" },
                payload: draft.payload)
            state.nextSeq += 1
            state.published.append(event)
            return event
        }
    }

    public func performSideEffect(_ description: String, _ effect: @Sendable () async throws -> Void) async throws {
        state.withLock { $0.sideEffects.append(description) }
        if performs { try await effect() }
    }

    public func parties(through seq: UInt64?) async -> [PartyView] { state.withLock { $0.parties } }

    /// Sets what `context.parties()` returns.
    public func setParties(_ parties: [PartyView]) { state.withLock { $0.parties = parties } }

    /// Events the plugin published, in order.
    public var published: [Event] { state.withLock { $0.published } }
    /// Side effects the plugin asked for, by description, in order.
    public var sideEffects: [String] { state.withLock { $0.sideEffects } }
    /// What the plugin logged, as `level: message`.
    public var logged: [String] { state.withLock { $0.logged } }

    /// An event as the engine would hand it to the plugin: the typed payload on `stream`, the next seq.
    public func event<Payload: EventPayload>(
        _ payload: Payload, stream: String = "party/test", source: EventSource = .sim
    ) throws -> Event {
        let draft = try EventDraft(stream: stream, payload: payload, source: source)
        return state.withLock { state in
            defer { state.nextSeq += 1 }
            return Event(
                seq: state.nextSeq, at: state.clock, stream: stream, type: draft.type, version: draft.version,
                source: source, correlation: nil, payload: draft.payload)
        }
    }

    /// Hands `event` to `plugin` as the engine does: what it publishes meanwhile is correlated `seq:<event.seq>`.
    public func deliver(_ event: Event, to plugin: some Plugin) async throws {
        state.withLock { $0.handling = event.seq }
        defer { state.withLock { $0.handling = nil } }
        try await plugin.handle(event)
    }

    /// Waits until at least `count` events were published (plugins that publish from their own tasks), or `timeout`.
    /// Returns whether they were.
    public func waitForPublished(_ count: Int, timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while published.count < count {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    fileprivate func noteLog(_ line: String) { state.withLock { $0.logged.append(line) } }

    deinit { try? FileManager.default.removeItem(at: dataDirectory.deletingLastPathComponent()) }
}

/// Keeps a fake context's log lines.
private struct CapturingLogHandler: LogHandler {
    weak var context: FakePluginContext?
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        context?.noteLog("\(event.level): \(event.message)")
    }
}
