import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

/// A full disk under the log: the append fails with SQLite's error naming the file, the log stays whole, and the
/// next commit after space is back starts with a `log.append_failed` event saying what failed.
@Suite("Failed appends")
struct AppendFailureTests {
    @Test(
        "a full disk fails the append clearly; once space is back the log reports it as log.append_failed",
        .enabled(if: SmallDisk.canMount, "mounting a tmpfs needs root (CAP_SYS_ADMIN); skipped without it"))
    func diskFull() async throws {
        let dir = try TemporaryDirectory()
        let disk = dir.path("disk")
        try SmallDisk.mount(at: disk, megabytes: 2)
        defer { SmallDisk.unmount(disk) }
        let log = try EventLog(path: disk + "/events.sqlite")
        defer { log.close() }
        for n in 1...5 { _ = try await log.append(ping(n)) }
        let before = log.head

        let filler = disk + "/filler"
        SmallDisk.fill(filler)
        let big = try EventDraft(
            stream: "test", type: "test.big", payloadJSON: Data(#"{"pad":""#.utf8) + Data(repeating: 0x61, count: 256_000) + Data(#""}"#.utf8))
        var failures: [String] = []
        for _ in 0..<3 {
            do {
                _ = try await log.append(big)
            } catch {
                failures.append("\(error)")
            }
        }
        #expect(failures.count == 3, "appends on a full disk went through")
        #expect(failures.allSatisfy { $0.contains("events.sqlite") && $0.contains("full") }, "\(failures)")
        #expect(log.head == before)

        try FileManager.default.removeItem(atPath: filler)
        let after = try await log.append(ping(6))
        #expect(after.seq == before + 2, "the report takes the seq before it")
        let report = try #require(try log.event(at: before + 1))
        #expect(report.type == "log.append_failed" && report.stream == "engine")
        let payload = try report.decode(LogAppendFailed.self)
        #expect(payload.failedEvents == 3 && payload.failedCommits >= 1, "\(payload)")
        #expect(payload.error.contains("full") && payload.firstFailedAt <= payload.lastFailedAt, "\(payload)")
        // Reported once: the next commit carries no second report.
        #expect(try await log.append(ping(7)).seq == before + 3)
        #expect(try log.read(limit: 100).filter { $0.type == "log.append_failed" }.count == 1)
        #expect(try log.integrityCheck() == ["ok"])
    }
}
