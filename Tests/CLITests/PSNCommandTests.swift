import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

@Suite("PSN commands", .serialized)
struct PSNCommandTests {
    /// Starts `partybus sim` and returns it with its base URL.
    func startSimulator() async throws -> (Process, Collector, String) {
        let process = Process()
        process.executableURL = PartybusProcess.executable
        process.arguments = ["sim", "--port", "0", "--config", "/dev/null"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let collector = Collector(out.fileHandleForReading)
        #expect(await eventually { collector.text.contains("listening on http://127.0.0.1:") })
        let line = collector.text.split(separator: "\n").first { $0.contains("listening on") } ?? ""
        let base = String(line.split(separator: " ").last ?? "")
        return (process, collector, base)
    }

    @Test("sim, login (npsso on stdin), whoami, parties create/list/invite/show/leave, logout — and no secret anywhere")
    func signInAndParties() async throws {
        let (simulator, simOutput, base) = try await startSimulator()
        defer {
            simulator.terminate()
            simulator.waitUntilExit()
        }
        let dir = try TemporaryDirectory()
        let config = dir.path("partybus.yaml")
        try """
            psn:
              allowInsecureLoopback: true
              throttleMs: 0
              urls:
                auth: \(base)/api/authz/v3/oauth/
                api: \(base)/api
                accountsMe: \(base)/api/v1/devices/accounts/me
                pushServerAddr: \(base)/np/serveraddr
                partyInfo: \(base)/api/cpss/v1/partyInfo/
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let secret = "sim-client-secret"
        let npsso = "sim-npsso-you-" + String(repeating: "0", count: 50)
        let common = ["--config", config, "--data-dir", dir.path("data")]
        let env = ["PARTYBUS_PSN__CLIENT_SECRET": secret]
        var outputs: [String] = []
        func run(_ arguments: [String], input: String? = nil) throws -> PartybusProcess.Result {
            let result = try PartybusProcess.run(arguments + common, environment: env, input: input)
            outputs += [result.stdout, result.stderr]
            return result
        }

        let noSecret = try PartybusProcess.run(["login"] + common, input: npsso + "\n")
        #expect(noSecret.status == 1)
        #expect(noSecret.stderr.contains("psn.clientSecret is not set"))

        let login = try run(["login"], input: npsso + "\n")
        #expect(login.status == 0, "\(login.stderr)")
        #expect(login.stdout.contains("signed in as account 1000000000000000001"))
        let tokenFile = dir.path("data/tokens.json")
        let attributes = try FileManager.default.attributesOfItem(atPath: tokenFile)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let stored = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tokenFile))) as? [String: Any]
        let accessToken = try #require(stored?["accessToken"] as? String)
        let refreshToken = try #require(stored?["refreshToken"] as? String)

        let whoami = try run(["whoami"])
        #expect(whoami.stdout.contains("account:       1000000000000000001"))

        let created = try run(["parties", "create", "--name", "CLI party"])
        #expect(created.status == 0, "\(created.stderr)")
        let sessionId = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UUID(uuidString: sessionId) != nil)
        let listed = try run(["parties", "list"])
        #expect(listed.stdout.contains(sessionId) && listed.stdout.contains("\"CLI party\""))
        #expect(try run(["parties", "invite", sessionId, "2000000000000000002"]).status == 0)
        let shown = try run(["parties", "show", sessionId])
        #expect(shown.stdout.contains("partybus-you"))
        let badId = try run(["parties", "join", "not-a-uuid"])
        #expect(badId.status == 1 && badId.stderr.contains("is not a party session id"))
        #expect(try run(["parties", "leave", sessionId]).status == 0)
        #expect(try run(["logout"]).status == 0)
        let after = try run(["whoami"])
        #expect(after.status == 1 && after.stdout.contains("not signed in"), "status \(after.status): \(after.stdout) \(after.stderr)")

        // The events the commands recorded.
        let log = try EventLog(path: dir.path("data/events.sqlite"))
        let types = Set(try log.read().map(\.type))
        #expect(types.isSuperset(of: ["auth.signed_in", "party.created", "party.invitation_sent", "party.snapshot", "party.left", "auth.signed_out"]))
        log.close()

        // No token, npsso, client secret or Basic header in any output or in the event database.
        var database = try Data(contentsOf: URL(fileURLWithPath: dir.path("data/events.sqlite")))
        database.append((try? Data(contentsOf: URL(fileURLWithPath: dir.path("data/events.sqlite-wal")))) ?? Data())
        let basic = Data("09515159-7237-4370-9b40-3806e67c0891:\(secret)".utf8).base64EncodedString()
        for needle in [accessToken, refreshToken, npsso, secret, basic, "Basic "] {
            #expect(database.range(of: Data(needle.utf8)) == nil, "\(needle.prefix(12))… in the database")
            #expect(!outputs.contains { $0.contains(needle) }, "\(needle.prefix(12))… in the output")
        }
        _ = simOutput
    }

    @Test("up against the built-in simulator shows a live party and stops cleanly on SIGTERM")
    func upWithSimulator() async throws {
        let dir = try TemporaryDirectory()
        let process = Process()
        process.executableURL = PartybusProcess.executable
        process.arguments = ["up", "--config", PartybusProcess.packageRoot.appendingPathComponent("config/partybus.yaml").path,
                             "--data-dir", dir.path("data")]
        process.currentDirectoryURL = PartybusProcess.packageRoot
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PARTYBUS_") }
        environment["PARTYBUS_LOG_LEVEL"] = "warning"
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let collector = Collector(out.fileHandleForReading)
        let errors = Collector(err.fileHandleForReading)
        #expect(await eventually(timeout: .seconds(30)) { collector.text.contains("\"onlineId\":\"sim-bob\"") })

        // Voice started by itself in the scene's party; the control socket answers `partybus voice …`.
        let socket = dir.path("data/sim/control.sock")
        #expect(await eventually(timeout: .seconds(10)) { collector.text.contains("voice.started") })
        let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
        #expect(mode == 0o600, "control socket mode \(String(mode ?? 0, radix: 8))")
        let data = ["--data-dir", dir.path("data")]
        let status = try PartybusProcess.run(["voice", "status"] + data)
        #expect(status.status == 0 && status.stdout.contains("\"running\":true") && status.stdout.contains("\"graph\":\"party-voice\""), "\(status.stdout) \(status.stderr)")
        let badVolume = try PartybusProcess.run(["voice", "volume", "4444", "0.5"] + data)
        #expect(badVolume.status == 1 && badVolume.stderr.contains("no member '4444'"), "\(badVolume.stderr)")
        let mute = try PartybusProcess.run(["voice", "mute"] + data)
        #expect(mute.status == 0 && mute.stdout.contains("\"muted\":true"), "\(mute.stdout) \(mute.stderr)")
        let stop = try PartybusProcess.run(["voice", "stop"] + data)
        #expect(stop.status == 0 && stop.stdout.contains("\"running\":false"), "\(stop.stdout) \(stop.stderr)")
        let nobody = try PartybusProcess.run(["voice", "status", "--data-dir", dir.path("elsewhere")])
        #expect(nobody.status == 1 && nobody.stderr.contains("no daemon is running"), "\(nobody.stderr)")

        kill(process.processIdentifier, SIGTERM)
        // Shutdown must finish (a stuck socket or task would keep it alive until a server timeout).
        #expect(await eventually(timeout: .seconds(15)) { !process.isRunning }, "up did not stop after SIGTERM")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(errors.finish())")
        _ = collector.finish()
        let log = try EventLog(path: dir.path("data/sim/events.sqlite"))
        #expect(try log.integrityCheck() == ["ok"])
        #expect(try log.readLast(1).first?.type == "engine.stopped")
        #expect(!FileManager.default.fileExists(atPath: socket), "the control socket is removed on exit")
        let parties = try PartyProjectionReader.memberCount(log)
        #expect(parties >= 3)
    }
}

/// Reads the party projection's member count from a log without importing the PSN module into the CLI tests.
enum PartyProjectionReader {
    static func memberCount(_ log: EventLog) throws -> Int {
        try log.read(filter: EventFilter(types: ["party.member_joined"])).count
    }
}
