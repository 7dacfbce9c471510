import Foundation
import PartyBusTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One row of the fault matrix as a user runs it: `partybus sim` in its own process with a larger cast, a data folder
/// signed in with `partybus login`, `partybus up` in another process, every command a separate `partybus` process,
/// and `partybus events tail -f --json` following the daemon the whole time (what it prints was acknowledged).
final class FaultRig {
    static let me = "1000000000000000001"
    static let secret = ["PARTYBUS_PSN__CLIENT_SECRET": "sim-client-secret"]
    /// The daemon's environment: quick retries (100 ms, 200 ms) so the 5xx rows stay short; the count is the product's.
    static let daemonEnvironment = secret.merging(["PARTYBUS_PSN__RETRY_BASE_MS": "100"]) { $1 }
    /// Remote members: the simulator's default cast plus two added over its admin API.
    static let cast = ["2000000000000000002", "3000000000000000003", "4000000000000000004", "5000000000000000005"]

    let dir: TemporaryDirectory
    let simulator: SimulatorProcess
    let config: String
    let data: String
    private(set) var daemon: RunningPartybus
    /// Followers of the daemon's event stream; a new one after each restart (the old one's output is kept).
    private(set) var followers: [RunningPartybus] = []

    /// Starts the simulator, signs in and starts `up`; `prepareData` runs on the empty data folder path before
    /// anything is written to it (e.g. to mount a small file system there); `extra` is more YAML for the config.
    static func start(
        extra: String = "", environment: [String: String] = [:], prepareData: (String) throws -> Void = { _ in }
    ) async throws -> FaultRig {
        let dir = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start()
        try await simulator.post("/sim/admin/faults", ["allowUninvitedJoin": true])
        for (id, name) in [("4000000000000000004", "sim-carol"), ("5000000000000000005", "sim-dave")] {
            try await simulator.post(
                "/sim/admin/accounts",
                ["accountId": id, "onlineId": name, "npsso": "sim-npsso-\(name)-" + String(repeating: "0", count: 40)])
        }
        let config = try simulator.config(in: dir, extra: "voice:\n  enabled: false\n" + extra)
        let data = dir.path("data")
        try prepareData(data)
        try loginToSimulator(config: config, data: data)
        let daemon = try await Self.launch(config: config, data: data, environment: environment)
        let rig = FaultRig(dir: dir, simulator: simulator, config: config, data: data, daemon: daemon)
        rig.environment = environment
        try rig.follow()
        #expect(await simulator.waitForPush(), "our push socket never authenticated: \(daemon.stderr.text)")
        return rig
    }

    private var environment: [String: String] = [:]

    private init(dir: TemporaryDirectory, simulator: SimulatorProcess, config: String, data: String, daemon: RunningPartybus) {
        self.dir = dir
        self.simulator = simulator
        self.config = config
        self.data = data
        self.daemon = daemon
    }

    /// Starts `up` and waits until `partybus status` answers through it.
    private static func launch(config: String, data: String, environment: [String: String]) async throws -> RunningPartybus {
        let daemon = try RunningPartybus(
            ["up", "--config", config, "--data-dir", data], environment: daemonEnvironment.merging(environment) { $1 })
        let socket = URL(fileURLWithPath: data).appendingPathComponent("control.sock").path
        _ = await eventually(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: socket) || !daemon.process.isRunning }
        let ready = await poll(timeout: .seconds(30)) {
            (try? PartybusProcess.run(["status", "--config", config, "--data-dir", data], environment: secret))
                .map { $0.status == 0 && $0.stdout.contains("\"mode\" : \"daemon\"") } ?? false
        }
        #expect(ready, "up did not come up: \(daemon.stderr.text)")
        return daemon
    }

    /// A `partybus` command against this data folder.
    func cli(_ arguments: [String]) throws -> PartybusProcess.Result {
        try PartybusProcess.run(arguments + ["--config", config, "--data-dir", data], environment: Self.secret)
    }

    /// `partybus events tail -f --json -n 0` from now on.
    private func follow() throws {
        followers.append(try RunningPartybus(
            ["events", "tail", "-f", "--json", "-n", "0", "--config", config, "--data-dir", data], environment: Self.secret))
    }

    /// SIGKILL of `up`: no shutdown at all.
    func killDaemon() {
        kill(daemon.pid, SIGKILL)
        daemon.process.waitUntilExit()
        #expect(daemon.process.terminationReason == .uncaughtSignal)
    }

    /// A fresh `up` on the same folder, and a new follower.
    func restartDaemon() async throws {
        daemon = try await Self.launch(config: config, data: data, environment: environment)
        try follow()
    }

    /// `GET /v1/status` through `partybus status`.
    func status() throws -> [String: Any] {
        let result = try cli(["status"])
        guard result.status == 0,
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        else { throw RigError("status failed (\(result.status)): \(result.stdout) \(result.stderr)") }
        return object
    }

    /// Creates a party from the CLI; its session id.
    func createParty(_ name: String) throws -> String {
        let created = try cli(["parties", "create", "--name", name])
        let sessionId = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard created.status == 0, UUID(uuidString: sessionId) != nil else {
            throw RigError("parties create failed (\(created.status)): \(created.stdout) \(created.stderr)")
        }
        return sessionId
    }

    /// Every event a follower printed: acknowledged by the daemon (committed, then published).
    var acknowledged: [[String: Any]] {
        followers.flatMap { follower in
            follower.stdout.text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }

    /// Ends the row: the simulator's faults off, then the invariants every row asserts (see `MatrixInvariants`),
    /// then everything stopped.
    func finish(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        _ = try? await simulator.delete("/sim/admin/faults/http")
        try await MatrixInvariants(rig: self).assertAll(sourceLocation: sourceLocation)
        #expect(await daemon.stop() == 0, "up: \(daemon.stderr.text.suffix(3000))", sourceLocation: sourceLocation)
        for follower in followers { _ = await follower.stop() }
        try MatrixInvariants(rig: self).assertLogOnDisk(sourceLocation: sourceLocation)
        _ = await simulator.running.stop()
    }
}

/// A rig step that could not be taken, with what the command said.
struct RigError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes (for conditions that start a process).
func poll(
    timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(300), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

extension SimulatorProcess {
    /// A GET of the admin API, as JSON.
    func get(_ path: String) async throws -> [String: Any] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: baseURL + path)!)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RigError("\(path): not a JSON object: \(String(decoding: data, as: UTF8.self))")
        }
        return object
    }

    /// A DELETE of the admin API.
    func delete(_ path: String) async throws {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = "DELETE"
        _ = try await URLSession.shared.data(for: request)
    }

    /// Adds an HTTP fault rule: the next `count` calls matching `path` (a `*` suffix: a prefix) answer `status`.
    func failHTTP(_ path: String, status: Int, count: Int, method: String? = nil, retryAfterSeconds: Int? = nil) async throws {
        var rule: [String: Any] = ["path": path, "status": status, "count": count]
        if let method { rule["method"] = method }
        if let retryAfterSeconds { rule["retryAfterSeconds"] = retryAfterSeconds }
        try await post("/sim/admin/faults/http", rule)
    }
}
