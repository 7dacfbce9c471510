import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

extension FaultMatrixTests {
    @Test(
        "row 4: the disk under the log fills up: appends fail with a clear error, up keeps running, and carries on once space is freed",
        .enabled(if: SmallDisk.canMount, "mounting a tmpfs needs root (CAP_SYS_ADMIN); this row is skipped without it"))
    func diskFull() async throws {
        var mounted: String?
        defer { if let mounted { SmallDisk.unmount(mounted) } }
        let rig = try await FaultRig.start { data in
            try SmallDisk.mount(at: data, megabytes: 16)
            mounted = data
        }
        let simulator = rig.simulator
        let sessionId = try rig.createParty("full")
        var inParty: Set<String> = []
        try await Self.toggle(FaultRig.cast[0], in: sessionId, on: simulator, member: &inParty)
        #expect(await poll { (try? MatrixInvariants(rig: rig).daemonView()[sessionId]?.count) == 2 })

        // Fill the disk; then members come and go (push frames to append) and the CLI asks for a new party.
        let filler = URL(fileURLWithPath: rig.data).appendingPathComponent("filler").path
        SmallDisk.fill(filler)
        for round in 0..<4 {
            try await Self.toggle(FaultRig.cast[1 + round % 2], in: sessionId, on: simulator, member: &inParty)
            try await simulator.act(FaultRig.me, "pushRaw", ["text": Self.bigFrame])
            try await Task.sleep(for: .milliseconds(400))
        }
        let refused = try rig.cli(["parties", "create", "--name", "no room"])
        #expect(refused.status != 0 && refused.stderr.lowercased().contains("full"), "\(refused.status) \(refused.stderr)")
        #expect(!refused.stderr.contains("Fatal error"))
        // up says so plainly in its log, answers status, and does not die (no crash, so no crash loop under systemd).
        #expect(await poll(timeout: .seconds(20)) { rig.daemon.stderr.text.lowercased().contains("disk is full") },
                "no clear log line: \(rig.daemon.stderr.text.suffix(3000))")
        #expect(try rig.cli(["status"]).status == 0)
        #expect(rig.daemon.process.isRunning, "up exited: \(rig.daemon.stderr.text.suffix(3000))")

        // Space comes back: the daemon carries on by itself and says what it could not write.
        try FileManager.default.removeItem(atPath: filler)
        try await Self.toggle(FaultRig.cast[3], in: sessionId, on: simulator, member: &inParty)
        let reported = await poll {
            let log = try? EventLog(readingOnly: URL(fileURLWithPath: rig.data).appendingPathComponent("events.sqlite").path)
            defer { log?.close() }
            return (try? log?.readLast(50, filter: EventFilter(types: ["log.append_failed"])))?.isEmpty == false
        }
        #expect(reported, "no log.append_failed event after space was freed")
        try await rig.finish()
    }
}
