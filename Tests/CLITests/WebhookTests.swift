import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `webhook` built-in as a user runs it: `partybus up` against `partybus sim`, the webhook configured in the
/// YAML, and the example receiver (`scripts/examples/webhook-receiver.py`, a separate process on loopback) checking
/// every signature and answering 500 to make the plugin retry.
@Suite("Webhook", .serialized)
struct WebhookTests {
    /// One request the receiver logged.
    struct Received: Decodable {
        var path: String
        var delivery: String
        var attempt: Int
        var timestamp: String
        var receivedAt: Double
        var signatureValid: Bool
        var fresh: Bool
        var status: Int
        var type: String?
        var seq: Int?
        var payload: [String: JSONValue]?
        var body: String?
        var title: String?
    }

    static func received(_ file: String) -> [Received] {
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        return data.split(separator: 0x0A).compactMap { try? JSONDecoder().decode(Received.self, from: Data($0)) }
    }

    @Test("deliveries are signed (HMAC over timestamp and body), retried with backoff after 500s, dead-lettered after max_attempts; secrets stay out of logs, events and config show")
    func signedRetriedDeadLettered() async throws {
        let dir = try TemporaryDirectory()
        let secret = "whsec-file-\(UUID().uuidString)"
        let inlineSecret = "whsec-inline-\(UUID().uuidString)"
        try (secret + "\n").write(toFile: dir.path("webhook.secret"), atomically: true, encoding: .utf8)
        try (inlineSecret + "\n").write(toFile: dir.path("inline.secret"), atomically: true, encoding: .utf8)
        let receiverLog = dir.path("flaky.jsonl")
        let deadLog = dir.path("dead.jsonl")
        let receiver = try ChildProgram(
            "/usr/bin/env", ["python3", "scripts/examples/webhook-receiver.py", "--secret-file", dir.path("webhook.secret"), "--log", receiverLog])
        let downReceiver = try ChildProgram(
            "/usr/bin/env", ["python3", "scripts/examples/webhook-receiver.py", "--secret-file", dir.path("inline.secret"), "--log", deadLog])
        func port(_ program: ChildProgram) async throws -> String {
            #expect(await eventually { program.stdout.text.contains("listening on") }, "\(program.stderr.text)")
            return String(program.stdout.text.split(separator: ":").last?.prefix { $0.isNumber } ?? "")
        }
        let ntfyLog = dir.path("ntfy.jsonl")
        let ntfyReceiver = try ChildProgram("/usr/bin/env", ["python3", "scripts/examples/webhook-receiver.py", "--log", ntfyLog])
        let flakyPort = try await port(receiver)
        let downPort = try await port(downReceiver)
        let ntfyPort = try await port(ntfyReceiver)

        let simulator = try await SimulatorProcess.start()
        let config = try simulator.config(in: dir, extra: """
            voice:
              enabled: false
            plugins:
              hook-flaky:
                builtin: webhook
                events: ["party.created", "party.member_joined"]
                options:
                  url: http://127.0.0.1:\(flakyPort)/flaky/2
                  secret_file: \(dir.path("webhook.secret"))
                  retry_min_ms: 200
                  max_attempts: 4
              hook-down:
                builtin: webhook
                events: ["party.created"]
                options:
                  url: http://127.0.0.1:\(downPort)/status/500?token=in-the-query
                  secret: \(inlineSecret)
                  retry_min_ms: 100
                  max_attempts: 3
              friend-joined:
                exec: ["scripts/hooks/ntfy-friend-joined.py"]
                events: ["party.*"]
                options:
                  env: { NTFY_URL: "http://127.0.0.1:\(ntfyPort)/partybus-topic", FRIENDS: "sim-alice" }
            """)
        let daemons = DaemonTests()
        let (_, data) = try daemons.signedIn(simulator, dir, config: config)
        let daemon = try await daemons.startDaemon(config: config, data: data)
        let common = ["--config", config, "--data-dir", data]
        let secretEnv = DaemonTests.secret

        let created = try PartybusProcess.run(["parties", "create", "--name", "hooked"] + common, environment: secretEnv)
        #expect(created.status == 0, "\(created.stderr)")
        let sessionId = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try PartybusProcess.run(["parties", "invite", sessionId, DaemonTests.alice] + common, environment: secretEnv).status == 0)
        try await simulator.act("sim-alice", "join", ["sessionId": sessionId])

        // The flaky receiver: each delivery answered 500 twice, then 200 on the third try; every try signed.
        let delivered = await eventually(timeout: .seconds(30)) {
            let log = Self.received(receiverLog)
            return log.contains { $0.type == "party.created" && $0.status == 200 }
                && log.contains { $0.type == "party.member_joined" && $0.status == 200 && $0.payload?["member"]?["onlineId"]?.stringValue == "sim-alice" }
        }
        let log = Self.received(receiverLog)
        #expect(delivered, "receiver saw: \(log.map { "\($0.type ?? "?") try \($0.attempt) → \($0.status)" }) up: \(daemon.stderr.text.suffix(2000))")
        #expect(!log.isEmpty && log.allSatisfy { $0.signatureValid && $0.fresh }, "a delivery failed verification")
        let createdTries = log.filter { $0.type == "party.created" }
        #expect(createdTries.map(\.status) == [500, 500, 200], "\(createdTries.map(\.status))")
        #expect(Set(createdTries.map(\.delivery)).count == 1, "one delivery id across retries")
        #expect(createdTries.first?.delivery == "hook-flaky:\(createdTries.first?.seq ?? 0)")
        if createdTries.count == 3 {
            // Backoff doubles from retry_min_ms: at least 200 ms, then at least 400 ms between tries (lower bounds only).
            #expect(createdTries[1].receivedAt - createdTries[0].receivedAt >= 0.19)
            #expect(createdTries[2].receivedAt - createdTries[1].receivedAt >= 0.39)
        }

        // The receiver really checks: the same body with a wrong signature is refused.
        if let first = createdTries.first {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(flakyPort)/ok")!)
            request.httpMethod = "POST"
            request.httpBody = Data("{\"seq\":\(first.seq ?? 0)}".utf8)
            request.setValue(first.timestamp, forHTTPHeaderField: "PartyBus-Timestamp")
            request.setValue("v1=" + String(repeating: "0", count: 64), forHTTPHeaderField: "PartyBus-Signature")
            let (_, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 401)
        }

        // The receiver that always answers 500: three tries, then a dead letter in the log, correlated to the event.
        let deadLettered = await eventually(timeout: .seconds(20)) {
            let shown = try? PartybusProcess.run(["events", "tail", "--type", "webhook.*", "--json"] + common, environment: secretEnv)
            return shown?.stdout.contains("webhook.dead_letter") ?? false
        }
        #expect(deadLettered, "no dead letter: \(daemon.stderr.text.suffix(2000))")
        #expect(Self.received(deadLog).filter { $0.type == "party.created" }.map(\.status) == [500, 500, 500])
        #expect(Self.received(deadLog).allSatisfy { $0.signatureValid })

        let stopped = await daemon.stop()
        #expect(stopped == 0, "up exited \(stopped.map(String.init) ?? "not at all"): \(daemon.stderr.text.suffix(3000))")
        let events = try EventLog(readingOnly: dir.path("data/events.sqlite")).read()
        let dead = try #require(events.first { $0.type == "webhook.dead_letter" })
        let letter = try dead.decode([String: JSONValue].self)
        #expect(letter["attempts"]?.intValue == 3 && letter["status"]?.intValue == 500, "\(dead.payloadText)")
        #expect(letter["eventType"]?.stringValue == "party.created")
        #expect(letter["url"]?.stringValue == "http://127.0.0.1:\(downPort)/status/500", "query stripped: \(dead.payloadText)")
        #expect(dead.stream == "plugin/hook-down" && dead.correlation == "seq:\(letter["seq"]?.intValue ?? -1)")
        #expect(!events.contains { $0.type == "plugin.failed" }, "\(events.filter { $0.type == "plugin.failed" }.map(\.payloadText))")

        // The example exec hook notified once, for the friend, naming the party, and its draft is correlated to the join.
        let notes = Self.received(ntfyLog)
        #expect(notes.map(\.body) == ["sim-alice joined hooked"] && notes.first?.title == "PartyBus", "\(notes.map(\.body))")
        let joined = try #require(events.first { $0.type == "party.member_joined" && $0.payloadText.contains("sim-alice") })
        let sent = try #require(events.first { $0.type == "notify.sent" }, "\(daemon.stderr.text.suffix(1500))")
        #expect(sent.stream == "plugin/friend-joined" && sent.correlation == "seq:\(joined.seq)", "\(sent)")

        // No secret anywhere a user or another program can read.
        let shown = try PartybusProcess.run(["config", "show"] + common, environment: secretEnv)
        #expect(shown.status == 0)
        let rawLog = String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir.path("data/events.sqlite"))), as: UTF8.self)
        #expect(shown.stdout.contains("\"secret\" : \"<redacted>\""), "\(shown.stdout)")
        for text in [daemon.stderr.text, daemon.stdout.text, shown.stdout, rawLog, events.map(\.payloadText).joined()] {
            #expect(!text.contains(secret) && !text.contains(inlineSecret))
        }
        for text in [daemon.stderr.text, rawLog] { #expect(!text.contains("in-the-query")) }

        // The replay report shows the party projection at the end and what the webhook would have sent.
        let replay = try PartybusProcess.run(
            ["replay", dir.path("data/events.sqlite"), "--plugins", "hook-flaky", "--quiet"] + common, environment: secretEnv)
        #expect(replay.status == 0, "\(replay.stdout.suffix(1500)) \(replay.stderr.suffix(1500))")
        #expect(replay.stdout.contains("would POST http://127.0.0.1:\(flakyPort)/flaky/2 party.created #"), "\(replay.stdout.suffix(2000))")
        #expect(replay.stdout.contains("\"parties\"") && replay.stdout.contains("\"name\" : \"hooked\"") && replay.stdout.contains("sim-alice"),
                "\(replay.stdout.suffix(2000))")
        _ = await simulator.running.stop()
    }
}
