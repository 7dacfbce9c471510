import Foundation
import PSN
import PSNSimulator
import PSNTestSupport
import PartyBusCore
import PartyBusDaemon
import PartyBusTestSupport
import Testing

/// A daemon context as `partybus up` builds it, in this process: a temporary data folder, its event log, a PSN
/// client pointed at a PSN simulator on loopback, signed in, voice off, and the projections running.
struct DaemonFixture: Sendable {
    /// The simulator.
    let simulator: PSNSimulator
    /// The context the control API answers from.
    let context: DaemonContext

    /// Runs `body` against a fresh simulator and context; stops the projections and closes the log afterwards.
    /// `voiceGraph` sets `voice.graph` (the graph routes show and edit that file's folder).
    static func run<T: Sendable>(
        signedIn: Bool = true, voiceGraph: String? = nil, _ body: @Sendable (DaemonFixture) async throws -> T
    ) async throws -> T {
        let configuration = simulatorConfiguration()
        return try await PSNSimulator.withRunning(configuration: configuration) { simulator in
            let folder = try TemporaryDirectory()
            var environment = ["PARTYBUS_DATA_DIR": folder.url.path]
            if let voiceGraph { environment["PARTYBUS_VOICE__GRAPH"] = voiceGraph }
            let config = try ConfigLoader(extraSections: [("voice", .any)], environment: environment).load(file: nil)
            let log = try EventLog(path: config.eventLogPath)
            defer { log.close() }
            let baseURL = try #require(simulator.baseURL)
            let settings = BuiltinSimulator.settings(
                ClientHarness.settings(base: baseURL), simulator: configuration, baseURL: baseURL)
            let client = try PSNClient(
                settings: settings, dataDirectory: config.dataDirectory, log: log, source: .sim, logger: MemoryLog().logger())
            let parties = LiveProjection<PartyProjection>(log: log)
            let context = DaemonContext(
                config: config, log: log, client: client, voice: nil, simulated: true, inProcess: false, parties: parties)
            if signedIn { try await client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso)) }
            let fixture = DaemonFixture(simulator: simulator, context: context)
            let outcome = await withThrowingTaskGroup(of: Void.self) { group -> Result<T, any Error> in
                group.addTask { try await parties.run() }
                group.addTask { try await context.runInProcessProjections() }
                let outcome: Result<T, any Error>
                do { outcome = .success(try await body(fixture)) } catch { outcome = .failure(error) }
                group.cancelAll()
                while (try? await group.next()) != nil {}
                return outcome
            }
            withExtendedLifetime(folder) {}
            return try outcome.get()
        }
    }

    /// Answers one request in-process, as the Unix socket would.
    func call(
        _ method: String, _ path: String, query: [String: [String]] = [:], json: [String: any Sendable]? = nil,
        body: Data? = nil
    ) async throws -> ControlResponse {
        let data = try body ?? json.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        return await ControlAPI.handle(ControlRequest(method: method, path: path, query: query, body: data), context: context)
    }
}

extension ControlResponse {
    /// The body as text.
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as decoded JSON.
    func json() throws -> Any { try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }

    /// The body as a JSON object.
    func object() throws -> [String: Any] {
        try #require(try json() as? [String: Any], "not a JSON object: \(text)")
    }

    /// The `error` of an error answer.
    var errorMessage: String? { (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["error"] as? String }

    /// True when the dispatcher found no route for the path (404 "no route …") or none for the method (405).
    var isNoRoute: Bool { status == 405 || (status == 404 && errorMessage?.hasPrefix("no route") == true) }
}
