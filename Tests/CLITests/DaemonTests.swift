import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The daemon as a user runs it: `partybus sim` standing in for PSN in one process, `partybus up` in another, and
/// every command a separate `partybus` process talking to the daemon's control API.
@Suite("Daemon", .serialized)
struct DaemonTests {
    static let secret = ["PARTYBUS_PSN__CLIENT_SECRET": "sim-client-secret"]
    static let alice = "2000000000000000002"

    /// Starts `up` on `config`/`data` and waits until its control socket answers.
    func startDaemon(config: String, data: String, environment: [String: String] = [:]) async throws -> RunningPartybus {
        let daemon = try RunningPartybus(
            ["up", "--config", config, "--data-dir", data], environment: Self.secret.merging(environment) { $1 })
        // Wait for the socket first: a CLI command run before it exists answers in-process, under the lock.
        let socket = URL(fileURLWithPath: data).appendingPathComponent("control.sock").path
        _ = await eventually(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: socket) || !daemon.process.isRunning }
        let ready = await eventually(timeout: .seconds(10)) {
            (try? PartybusProcess.run(["status", "--config", config, "--data-dir", data], environment: Self.secret))
                .map { $0.status == 0 && $0.stdout.contains("\"mode\" : \"daemon\"") } ?? false
        }
        #expect(ready, "up did not come up: \(daemon.stderr.text)")
        return daemon
    }

    /// Signs in and starts `up` with voice on the headless graph (a tone as the mic, the mix to a file).
    func signedInDaemonWithVoice(
        _ simulator: SimulatorProcess, _ dir: TemporaryDirectory, bridge: Bool
    ) async throws -> (config: String, data: String, daemon: RunningPartybus) {
        let config = try simulator.config(in: dir, extra: """
            voice:
              enabled: true
              autoStart: true
              bridge: \(bridge)
              graph: \(PartybusProcess.packageRoot.appendingPathComponent("pipelines/headless-test.yaml").path)
              localAddresses: ["127.0.0.1"]
              test:
                output: \(dir.path("mix.wav"))
            """)
        let (_, data) = try signedIn(simulator, dir, config: config)
        return (config, data, try await startDaemon(config: config, data: data))
    }

    /// Signs in to `simulator` with `config` (voice off unless it is the one given) in a fresh data folder.
    @discardableResult
    func signedIn(_ simulator: SimulatorProcess, _ dir: TemporaryDirectory, config: String? = nil) throws -> (config: String, data: String) {
        let config = try config ?? simulator.config(in: dir, extra: "voice:\n  enabled: false\n")
        let data = dir.path("data")
        try loginToSimulator(config: config, data: data)
        return (config, data)
    }

    @Test("up owns the log: parties from separate CLI processes, a second up refused, events tail -f follows, no gap, push stays up")
    func oneWriter() async throws {
        let simulator = try await SimulatorProcess.start()
        let dir = try TemporaryDirectory()
        let (config, data) = try signedIn(simulator, dir)
        let daemon = try await startDaemon(config: config, data: data)
        let common = ["--config", config, "--data-dir", data]
        func cli(_ arguments: [String]) throws -> PartybusProcess.Result {
            try PartybusProcess.run(arguments + common, environment: Self.secret)
        }

        // A second daemon on the same folder refuses at once, naming the holder.
        let second = try cli(["up"])
        #expect(second.status == 3, "\(second.stderr)")
        #expect(second.stderr.contains("pid \(daemon.pid)"), "\(second.stderr)")

        // Another terminal follows the log through the daemon. It prints the last event first, so once a line is
        // out it is following (with `-n 0` a slow start could begin after the party was created: CI saw that).
        let tail = try RunningPartybus(["events", "tail", "-f", "-n", "1"] + common, environment: Self.secret)
        defer { _ = tail }
        #expect(await eventually(timeout: .seconds(30)) { !tail.stdout.text.isEmpty }, "tail -f printed nothing: \(tail.stderr.text)")

        let created = try cli(["parties", "create", "--name", "daemon party"])
        #expect(created.status == 0, "\(created.stderr)")
        let sessionId = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UUID(uuidString: sessionId) != nil, "create printed \(created.stdout)")
        let followed = await eventually(timeout: .seconds(30)) { tail.stdout.text.contains("party.created") }
        #expect(followed, "tail -f: \(tail.stdout.text) \(tail.stderr.text) running: \(tail.process.isRunning)")

        #expect(try cli(["parties", "invite", sessionId, Self.alice]).status == 0)
        try await simulator.act("sim-alice", "join", ["sessionId": sessionId])
        #expect(await eventually(timeout: .seconds(10)) { tail.stdout.text.contains("party.member_joined") })
        let shown = try cli(["parties", "show", sessionId])
        #expect(shown.stdout.contains("partybus-you") && shown.stdout.contains("sim-alice"), "\(shown.stdout) \(shown.stderr)")

        // The status the API returns names the party with both members and a connected push socket.
        let status = try cli(["status"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let parties = try #require(object["parties"] as? [[String: Any]])
        let party = try #require(parties.first { ($0["sessionId"] as? String) == sessionId })
        #expect((party["members"] as? [String: Any])?.count == 2)
        #expect((object["push"] as? [String: Any])?["state"] as? String == "connected")

        let left = try cli(["parties", "leave", sessionId])
        #expect(left.status == 0 && left.stdout.contains("left \(sessionId)"), "\(left.stdout) \(left.stderr)")
        #expect(await eventually(timeout: .seconds(10)) { tail.stdout.text.contains("party.left") })

        #expect(await daemon.stop() == 0, "up: \(daemon.stderr.text)")
        _ = await tail.stop()
        #expect(!daemon.stderr.text.contains("UNIQUE constraint"), "\(daemon.stderr.text)")

        // The log is 1…head with no gap; one push connection the whole time.
        let log = try EventLog(readingOnly: dir.path("data/events.sqlite"))
        let events = try log.read()
        #expect(events.map(\.seq) == Array(1...UInt64(events.count)))
        #expect(events.filter { $0.type == "push.connected" }.count == 1)
        #expect(!events.contains { $0.type == "push.disconnected" })
        #expect(try log.integrityCheck() == ["ok"])
        let mode = try FileManager.default.attributesOfItem(atPath: data)[.posixPermissions] as? Int
        #expect(mode == 0o700, "data folder mode \(String(mode ?? 0, radix: 8))")
        let logMode = try FileManager.default.attributesOfItem(atPath: dir.path("data/events.sqlite"))[.posixPermissions] as? Int
        #expect(logMode == 0o600, "log mode \(String(logMode ?? 0, radix: 8))")
        _ = await simulator.running.stop()
    }

    @Test("leaving while voice runs: DELETE peer, DELETE bridge, then DELETE member, nothing on the deleted bridge")
    func leaveStopsVoiceFirst() async throws {
        let dir = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(media: dir.path("sim-media"), trace: true)
        let (config, data, daemon) = try await signedInDaemonWithVoice(simulator, dir, bridge: true)
        let common = ["--config", config, "--data-dir", data]
        let created = try PartybusProcess.run(["parties", "create"] + common, environment: Self.secret)
        let sessionId = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UUID(uuidString: sessionId) != nil, "\(created.stdout) \(created.stderr)")
        #expect(await eventually(timeout: .seconds(20)) { daemon.stdout.text.contains("voice.bridge_connected") }, "\(daemon.stdout.text)")

        let left = try PartybusProcess.run(["parties", "leave", sessionId] + common, environment: Self.secret)
        #expect(left.status == 0 && left.stdout.contains("voice stopped first"), "\(left.stdout) \(left.stderr)")
        #expect(await daemon.stop() == 0)

        let requests = simulator.requests
        let deletePeer = requests.firstIndex { $0.hasPrefix("DELETE ") && $0.contains("/peers/") }
        let deleteBridge = requests.firstIndex { $0.hasPrefix("DELETE ") && $0.contains("/bridges/") && !$0.contains("/peers/") }
        let deleteMember = requests.firstIndex { $0 == "DELETE /api/sessionManager/v2/partySessions/\(sessionId)/members/me" }
        #expect(deletePeer != nil && deleteBridge != nil && deleteMember != nil, "\(requests)")
        if let deletePeer, let deleteBridge, let deleteMember {
            #expect(deletePeer < deleteBridge && deleteBridge < deleteMember, "\(requests)")
            let bridgePath = String(requests[deleteBridge].dropFirst("DELETE ".count))
            #expect(!requests[(deleteBridge + 1)...].contains { $0.contains(bridgePath) }, "a call on the deleted bridge: \(requests)")
        }
        _ = await simulator.running.stop()
    }

    @Test("our account joins a party from a console: the daemon reads the party and starts voice")
    func joinedElsewhereStartsVoice() async throws {
        let dir = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(media: dir.path("sim-media"))
        let (_, _, daemon) = try await signedInDaemonWithVoice(simulator, dir, bridge: false)
        #expect(await simulator.waitForPush(), "our push socket never authenticated")
        // Alice makes a party and invites us; "our console" (the simulator acting as our account) joins it.
        try await simulator.act("sim-alice", "create", [:])
        try await simulator.act("sim-alice", "invite", ["sessionId": "$latest", "to": ["1000000000000000001"]])
        try await simulator.act("partybus-you", "join", ["sessionId": "$latest"])
        #expect(await eventually(timeout: .seconds(20)) { daemon.stdout.text.contains("voice.started") }, "\(daemon.stdout.text)")
        #expect(daemon.stdout.text.contains("party.snapshot"), "the daemon read the party it was put in")
        #expect(await daemon.stop() == 0)
        _ = await simulator.running.stop()
    }

    @Test("an invitation that arrives over push becomes an event, is listed, and is accepted from the CLI")
    func invitationByPush() async throws {
        let simulator = try await SimulatorProcess.start()
        try await simulator.post("/sim/admin/faults", ["emitInvitationPush": true])
        let dir = try TemporaryDirectory()
        let (config, data) = try signedIn(simulator, dir)
        let daemon = try await startDaemon(config: config, data: data)
        let common = ["--config", config, "--data-dir", data]
        #expect(await simulator.waitForPush(), "our push socket never authenticated")
        let made = try await simulator.act("sim-alice", "create", ["sessionName": "alice's"])
        let sessionId = try #require((try JSONSerialization.jsonObject(with: made) as? [String: Any])?["sessionId"] as? String)
        try await simulator.act("sim-alice", "invite", ["sessionId": sessionId, "to": ["1000000000000000001"]])
        #expect(await eventually(timeout: .seconds(10)) { daemon.stdout.text.contains("party.invitation_received") }, "\(daemon.stdout.text)")
        let listed = try PartybusProcess.run(["parties", "invitations"] + common, environment: Self.secret)
        #expect(listed.stdout.contains(sessionId) && listed.stdout.contains("sim-alice"), "\(listed.stdout) \(listed.stderr)")
        let accepted = try PartybusProcess.run(["parties", "accept", sessionId] + common, environment: Self.secret)
        #expect(accepted.status == 0 && accepted.stdout.contains("joined \(sessionId)"), "\(accepted.stdout) \(accepted.stderr)")
        let status = try PartybusProcess.run(["status"] + common, environment: Self.secret)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect((object["invitations"] as? [Any])?.isEmpty == true, "an accepted invitation is no longer open: \(status.stdout)")
        #expect(status.stdout.contains("sim-alice"), "\(status.stdout)")
        #expect(await daemon.stop() == 0)
        _ = await simulator.running.stop()
    }

    @Test("the control API on TCP: a non-loopback bind needs a token; with one, 401 without it and 200 with it")
    func tcpListener() async throws {
        let simulator = try await SimulatorProcess.start()
        let dir = try TemporaryDirectory()
        let (config, data) = try signedIn(simulator, dir)

        let refused = try PartybusProcess.run(
            ["up", "--config", config, "--data-dir", data],
            environment: Self.secret.merging(["PARTYBUS_API__LISTEN": "0.0.0.0:1"]) { $1 })
        #expect(refused.status == 2 && refused.stderr.contains("api.token"), "\(refused.status) \(refused.stderr)")

        let port = Int.random(in: 20_000...40_000)
        let token = "test-token-\(UUID().uuidString)"
        let daemon = try await startDaemon(
            config: config, data: data, environment: ["PARTYBUS_API__LISTEN": "127.0.0.1:\(port)", "PARTYBUS_API__TOKEN": token])
        func get(_ authorization: String?) async throws -> (Int, String) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/status")!)
            if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
            let (body, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: body, as: UTF8.self))
        }
        #expect(try await get(nil).0 == 401)
        #expect(try await get("Bearer wrong-\(token)").0 == 401)
        let (status, body) = try await get("Bearer \(token)")
        #expect(status == 200 && body.contains("\"accountId\""), "\(status) \(body)")
        #expect(!body.contains(token))
        #expect(await daemon.stop() == 0)
        #expect(!daemon.stdout.text.contains(token) && !daemon.stderr.text.contains(token), "the token leaked into up's output")
        _ = await simulator.running.stop()
    }
}
