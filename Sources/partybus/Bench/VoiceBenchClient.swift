import Foundation
import PSN
import PSNSimulator
import PartyBusCore
import PartyBusDaemon
import PartyVoice
import Voice

/// One signed-in PartyBus client with voice, in this process, for `bench voice`.
final class VoiceBenchClient: Sendable {
    let log: EventLog
    let client: PSNClient
    let voice: PartyVoice
    let folder: URL
    private let tasks: [Task<Void, Never>]

    /// A client of the in-process simulator.
    convenience init(simulator: PSNSimulator, account: SimulatedAccount, graph: URL, variables: [String: String], folder: URL) async throws {
        try await self.init(
            baseURL: simulator.baseURL!, configuration: simulator.configuration, account: account, graph: graph,
            variables: variables, folder: folder)
    }

    /// A client of a simulator at `baseURL` (possibly another process); returns once its push socket is accepted.
    init(
        baseURL: String, configuration: SimulatorConfiguration, account: SimulatedAccount, graph: URL, variables: [String: String],
        folder: URL
    ) async throws {
        self.folder = folder
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        log = try EventLog(path: folder.appendingPathComponent("events.sqlite").path)
        let settings = BuiltinSimulator.settings(PSNSettings.defaults, simulator: configuration, baseURL: baseURL)
        client = try PSNClient(settings: settings, dataDirectory: folder, log: log, source: .sim, logger: Logging.engine)
        let projection = LiveProjection<PartyProjection>(log: log)
        try await client.tokens.signIn(npsso: Secret(account.npsso))
        let push = client.makePushClient(parties: projection)
        var options = PartyVoiceOptions(
            graphFile: graph, variables: variables, peer: PeerSettings(localAddresses: ["127.0.0.1"]), bridge: false,
            reloadInterval: .zero)
        // As `partybus up` runs voice: with a voice tap hub (its probes on the mix, the mic and every peer), nobody
        // subscribed unless a plugin opens a tap.
        options.taps = VoiceTapHub(logger: Logging.engine)
        voice = PartyVoice(
            client: client, log: log, parties: projection,
            options: options,
            autoStart: true, source: .sim, logger: Logging.engine)
        let voice = self.voice
        let from = log.head + 1
        tasks = [
            Task { try? await projection.run() }, Task { await push.run() }, Task { try? await voice.run(from: from) },
        ]
        // The 1003 frame gets no reply (E.3): ask the simulator's admin API when it has accepted the socket.
        let admin = CurlHTTPClient()
        while true {
            let response = try await admin.send(HTTPRequest(
                method: .GET, url: "\(baseURL)/sim/admin/push/sockets?accountId=\(account.accountId)", headers: [], body: nil))
            if String(decoding: response.body, as: UTF8.self).contains("\"authenticated\":1") { break }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The time the first event of `type` whose payload contains `text` was appended after `after` (seq), waiting.
    func wait(for type: String, containing text: String = "", after: UInt64 = 0, timeout: Duration = .seconds(15)) async throws -> Event {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = try log.read(from: after + 1, filter: EventFilter(types: [type])).first(where: { text.isEmpty || $0.payloadText.contains(text) }) {
                return found
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw VoiceError("no \(type) within \(timeout)")
    }

    func close() async {
        await voice.stop(reason: "bench over")
        tasks.forEach { $0.cancel() }
        log.close()
    }
}
