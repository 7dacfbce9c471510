import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

extension FaultMatrixTests {
    /// Three exec hooks on every event: `slow` notes each line in `slowLog` and then sleeps 3 s (48 KB frames fill
    /// its pipe, so its calls wait), `failing` exits on its first event (and again after each restart), and
    /// `witness` writes each line it gets to `witness`.
    static func pluginsConfig(witness: String, slowLog: String) -> String {
        """
        plugins:
          slow:
            exec: ["/bin/sh", "-c", "while IFS= read -r line; do printf '%s\\\\n' \\"$line\\" >> \\"$0\\"; sleep 3; done", "\(slowLog)"]
            events: ["*"]
          failing:
            exec: ["/bin/sh", "-c", "read -r line; exit 3"]
            events: ["*"]
          witness:
            exec: ["/bin/sh", "-c", "while IFS= read -r line; do printf '%s\\\\n' \\"$line\\" >> \\"$0\\"; done", "\(witness)"]
            events: ["*"]

        """
    }

    /// A JSON push frame of about 48 KB with an unknown data type.
    static let bigFrame = #"{"dataType":"faultMatrix:filler","pad":""# + String(repeating: "x", count: 48_000) + #""}"#

    @Test("row 3: a slow and a failing exec hook: the witness hook still gets every event and status keeps answering")
    func slowAndFailingPlugins() async throws {
        let scratch = try TemporaryDirectory()
        let witness = scratch.path("witness.jsonl")
        let slowLog = scratch.path("slow.jsonl")
        let rig = try await FaultRig.start(extra: Self.pluginsConfig(witness: witness, slowLog: slowLog))
        let sessionId = try rig.createParty("plugins")
        var inParty: Set<String> = []
        for round in 0..<10 {
            try await Self.toggle(FaultRig.cast[round % FaultRig.cast.count], in: sessionId, on: rig.simulator, member: &inParty)
            // A 48 KB push frame (kept whole in push.frame_received): the slow hook's pipe fills within a few.
            try await rig.simulator.act(FaultRig.me, "pushRaw", ["text": Self.bigFrame])
            // The daemon answers while the slow hook is far behind and the failing one restarts.
            let status = try rig.cli(["status"])
            #expect(status.status == 0, "status did not answer in round \(round): \(status.stderr)")
        }

        let log = try EventLog(readingOnly: URL(fileURLWithPath: rig.data).appendingPathComponent("events.sqlite").path)
        defer { log.close() }
        var witnessed: [UInt64] = []
        let caughtUp = await poll(timeout: .seconds(60)) {
            witnessed = ((try? String(contentsOfFile: witness, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any])?["seq"] as? Int
            }.map(UInt64.init)
            return witnessed.last.map { $0 >= log.head } ?? false
        }
        #expect(caughtUp, "the witness stopped at \(witnessed.last ?? 0) of \(log.head)")
        // Every event from the seq the witness started at (its plugin.started says) to the head but its own
        // stream's (a plugin never gets those, by design).
        struct Started: Decodable { var plugin: String; var fromSeq: UInt64 }
        let fromSeq = try log.read(limit: 1_000_000).filter { $0.type == "plugin.started" }
            .compactMap { try? $0.decode(Started.self) }.first { $0.plugin == "witness" }?.fromSeq
        let start = try #require(fromSeq, "no plugin.started for the witness")
        let expected = try log.read(from: start, to: witnessed.last ?? start, limit: 1_000_000)
            .filter { $0.stream != "plugin/witness" }
        let missed = expected.filter { !witnessed.contains($0.seq) }.map { "#\($0.seq) \($0.type) \($0.payloadText.prefix(200))" }
        #expect(witnessed == expected.map(\.seq), "the witness missed \(missed) or repeated events")
        let events = try log.read(limit: 1_000_000)
        #expect(events.contains { $0.type == "plugin.failed" && $0.payloadText.contains("\"failing\"") },
                "the failing hook's exits were not recorded")
        // The slow hook really was far behind when the witness had everything.
        let slowLast = ((try? String(contentsOfFile: slowLog, encoding: .utf8)) ?? "").split(separator: "\n").last
            .flatMap { ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any])?["seq"] as? Int } ?? 0
        #expect(UInt64(slowLast) + 10 < (witnessed.last ?? 0), "the slow hook was not behind: \(slowLast) of \(witnessed.last ?? 0)")
        #expect(rig.daemon.process.isRunning)
        try await rig.finish()
    }
}
