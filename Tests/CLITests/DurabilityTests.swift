import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

@Suite("Durability")
struct DurabilityTests {
    @Test("a writer killed with SIGKILL mid-way loses no acknowledged event and leaves no gap")
    func sigkillMidway() async throws {
        let dir = try TemporaryDirectory()
        let db = dir.path("events.sqlite")
        let process = Process()
        process.executableURL = PartybusProcess.executable
        process.arguments = ["debug", "append-stress", "--db", db, "--count", "100000", "--writers", "8"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let collector = Collector(out.fileHandleForReading)
        // Wait until a good part is acknowledged, then kill it without warning.
        let acknowledgedEnough = await eventually(timeout: .seconds(120)) {
            collector.text.split(separator: "\n").count >= 5000
        }
        #expect(acknowledgedEnough)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let acknowledged = collector.finish().split(separator: "\n").compactMap { line -> UInt64? in
            line.hasPrefix("ack ") ? UInt64(line.dropFirst(4)) : nil
        }
        #expect(acknowledged.count >= 5000)

        let log = try EventLog(path: db)
        #expect(try log.integrityCheck() == ["ok"])
        let stats = try log.stats()
        #expect(stats.count < 100_000, "the child should have been killed mid-way")
        // No gap: seqs are exactly 1…head.
        #expect(stats.firstSeq == 1)
        #expect(stats.count == stats.lastSeq)
        #expect(log.head == stats.lastSeq)
        // Every acknowledged seq is there.
        #expect(acknowledged.max()! <= log.head)
        let present = Set(try log.read(limit: 200_000).map(\.seq))
        #expect(acknowledged.allSatisfy { present.contains($0) })
        // And the log takes new appends after the crash.
        #expect(try await log.append(ping(1)).seq == stats.lastSeq + 1)
    }
}
