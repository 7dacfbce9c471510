import CPowerCutVFS
import Foundation
import PartyBusCore
import PartyBusTestSupport
import Synchronization
import Testing

/// Power-loss durability of the event log, proven the way SQLite proves its own atomic commit: through a VFS that
/// keeps every write since the last `xSync` in a volatile cache and, on a simulated power cut, keeps a random part of
/// that cache and drops the rest (`Tests/CPowerCutVFS`). A SIGKILL test cannot show this: a killed process leaves its
/// writes in the kernel, so it passes even with `synchronous=OFF`.
@Suite("Power loss", .serialized)
struct PowerLossTests {
    static let vfs: String = {
        let rc = pb_powercut_register("partybus-powercut")
        precondition(rc == 0, "cannot register the power-cut VFS (SQLite result \(rc))")
        return "partybus-powercut"
    }()

    @Test(
        "every acknowledged append and checkpoint survives a power cut; no gap; integrity ok",
        arguments: [(seed: 1, keep: 0), (seed: 2, keep: 50), (seed: 3, keep: 100), (seed: 4, keep: 30), (seed: 5, keep: 70)])
    func synchronousFull(seed: Int, keep: Int) async throws {
        let outcome = try await Self.runUntilPowerCut(synchronous: .full, seed: seed, keepPercent: keep)
        #expect(outcome.acknowledged.count >= 200)
        #expect(outcome.syncsBeforeCut > 0)
        #expect(outcome.lost.isEmpty, "acknowledged but lost after the cut: \(outcome.lost.prefix(10))")
        #expect(outcome.gaps.isEmpty, "gaps in the log: \(outcome.gaps.prefix(10))")
        #expect(outcome.integrity == ["ok"])
        #expect((outcome.checkpointAfter ?? 0) >= outcome.checkpointAcknowledged)
        #expect(outcome.survivors.last.map { $0 >= outcome.acknowledged.max() ?? 0 } ?? outcome.acknowledged.isEmpty)
    }

    @Test("the same test fails with synchronous=OFF: the checker can see lost events")
    func synchronousOffLosesEvents() async throws {
        let outcome = try await Self.runUntilPowerCut(synchronous: .off, seed: 7, keepPercent: 0)
        #expect(outcome.acknowledged.count >= 200)
        #expect(!outcome.lost.isEmpty, "with nothing ever synced, a power cut must lose acknowledged events")
    }

    /// The files under `folder` this process still has open.
    static func openDescriptors(under folder: String) -> [String] {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return descriptors.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) }
            .filter { $0.hasPrefix(folder) }
    }

    /// What one run found after the power came back.
    struct Outcome {
        var acknowledged: [UInt64]
        var survivors: [UInt64]
        var lost: [UInt64]
        var gaps: [UInt64]
        var integrity: [String]
        var checkpointAcknowledged: UInt64
        var checkpointAfter: UInt64?
        var syncsBeforeCut: Int
    }

    /// Four writers append (sharing group commits) and one saves checkpoints; once 200 appends are acknowledged the
    /// power is cut while they go on; the log is reopened on the real disk and compared with what was acknowledged.
    static func runUntilPowerCut(synchronous: EventLog.Synchronous, seed: Int, keepPercent: Int) async throws -> Outcome {
        let vfs = Self.vfs
        pb_powercut_restore()
        let dir = try TemporaryDirectory()
        let path = dir.path("data/events.sqlite")
        let acknowledged = Shared<[UInt64]>([])
        let checkpointAcknowledged = Shared<UInt64>(0)
        let syncsBeforeCut = Shared<Int>(0)
        do {
            let log = try EventLog(path: path, options: .init(synchronous: synchronous, vfs: vfs))
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for index in 0..<100_000 {
                            let payload = Data(#"{"writer":\#(writer),"index":\#(index)}"#.utf8)
                            guard let draft = try? EventDraft(stream: "w\(writer)", type: "test.appended", payloadJSON: payload),
                                let event = try? await log.append(draft)
                            else { return }
                            acknowledged.withLock { $0.append(event.seq) }
                        }
                    }
                }
                group.addTask {
                    while true {
                        let seen = acknowledged.withLock { $0.max() ?? 0 }
                        log.saveCheckpoint(seen, for: "checkpointer")
                        guard (try? await log.flush()) != nil else { return }
                        checkpointAcknowledged.withLock { $0 = max($0, seen) }
                        try? await Task.sleep(for: .milliseconds(5))
                    }
                }
                group.addTask {
                    while acknowledged.withLock({ $0.count }) < 200 { try? await Task.sleep(for: .milliseconds(2)) }
                    syncsBeforeCut.withLock { $0 = Int(pb_powercut_sync_count()) }
                    pb_powercut_cut(UInt32(seed), Int32(keepPercent))
                }
                await group.waitForAll()
            }
            log.close()
        }
        // Every connection of the cut is closed before the power comes back (a leaked one would keep its stale
        // wal-index in this process and hide what the disk holds).
        #expect(Self.openDescriptors(under: dir.path("data")).isEmpty, "files of the closed log are still open")
        pb_powercut_restore()
        // The power is back: open the files as they are on the real disk, through the default VFS.
        let after = try EventLog(path: path)
        defer { after.close() }
        let survivors = try after.read(limit: 1_000_000).map(\.seq)
        let surviving = Set(survivors)
        let acked = acknowledged.withLock { $0 }.sorted()
        var gaps: [UInt64] = []
        for (index, seq) in survivors.enumerated() where seq != UInt64(index + 1) { gaps.append(seq) }
        return Outcome(
            acknowledged: acked, survivors: survivors, lost: acked.filter { !surviving.contains($0) }, gaps: gaps,
            integrity: try after.integrityCheck(), checkpointAcknowledged: checkpointAcknowledged.withLock { $0 },
            checkpointAfter: try after.checkpoint(for: "checkpointer"), syncsBeforeCut: syncsBeforeCut.withLock { $0 })
    }
}

/// A value several tasks update under a lock.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { value.withLock { body(&$0) } }
}
