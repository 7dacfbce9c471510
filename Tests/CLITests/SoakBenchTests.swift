import Foundation
import PartyBusDaemon
import PartyBusTestSupport
import Testing

/// `partybus bench soak` run as a user runs it, short: a child `partybus up` (voice, auto-record) in a party against a
/// child `partybus sim --media`, members coming and going. No figure is asserted (they depend on the machine): every
/// sample row is there, measured, and the verdict
/// line gives the least-squares slopes (and, for so short a run, refuses to call it flat).
@Suite("bench soak", .serialized)
struct SoakBenchTests {
    @Test("--minutes 5 --seconds-per-sample 6: five measured sample rows with voice and recording on, then a verdict")
    func shortSoak() throws {
        let run = try PartybusProcess.run(["bench", "soak", "--minutes", "5", "--seconds-per-sample", "6", "--members", "2"])
        #expect(run.status == 0, "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
        // Each row: sample/of minute rss_mb anon_mb heap_mb free_mb sqlite_mb arenas fds threads events members peers
        // recording.
        let rows = run.stdout.split(separator: "\n").compactMap { line -> [String]? in
            let cells = line.split(separator: " ").map(String.init)
            guard cells.count == 14, cells[0].contains("/") else { return nil }
            return cells
        }
        #expect(rows.map(\.[0]) == (1...5).map { "\($0)/5" }, "\(run.stdout)")
        for row in rows {
            let number = { (index: Int) in Double(row[index]) ?? -1 }
            #expect(number(2) > 0, "RSS measured: \(row)")
            #expect(number(3) > 0 && number(3) <= number(2), "anonymous part of RSS: \(row)")
            // The daemon's C heap from /metrics (glibc mallinfo2): live allocations and free holes, both there.
            #expect(number(4) > 1 && number(4) < 4 * number(2), "heap in use (partybus_heap_in_use_bytes): \(row)")
            #expect(number(5) >= 0, "heap free (partybus_heap_free_bytes): \(row)")
            #expect(number(6) > 0 && number(6) < number(4), "SQLite's part of the heap (partybus_sqlite_memory_bytes): \(row)")
            // The daemon caps malloc's arenas (MallocArenas): with dozens of threads coming and going with the peers,
            // glibc's default (eight per core) would have made more by now, each keeping the memory freed in it.
            #expect((1...MallocArenas.daemonDefault).contains(Int(row[7]) ?? 0), "malloc arenas (partybus_heap_arenas): \(row)")
            #expect((Int(row[8]) ?? 0) > 2, "descriptors counted: \(row)")
            #expect((Int(row[9]) ?? 0) > 1, "threads counted: \(row)")
            #expect(Int(row[10]) != nil && Int(row[11]) != nil && Int(row[12]) != nil && Int(row[13]) != nil, "\(row)")
        }
        #expect(rows.contains { (Int($0[10]) ?? 0) > 0 }, "events were appended: \(run.stdout)")
        #expect(rows.contains { (Int($0[12]) ?? 0) > 0 }, "voice had a connected peer: \(run.stdout)")
        #expect(rows.contains { (Int($0[13]) ?? 0) > 0 }, "a recording was running: \(run.stdout)")
        // Half a minute of samples is too short for a slope to be judged: the verdict says so and still gives the
        // figures, and its RSS slope is the least-squares slope of the rows after warm-up (1 sample for short runs).
        let verdict = run.stdout.split(separator: "\n").last { $0.hasPrefix("verdict: ") }.map(String.init) ?? ""
        #expect(verdict.hasPrefix("verdict: too short to judge the slope"), "\(run.stdout)")
        let judged = rows.dropFirst()
        let minutes = judged.map { Double($0[1]) ?? 0 }, rss = judged.map { Double($0[2]) ?? 0 }
        let meanX = minutes.reduce(0, +) / Double(minutes.count), meanY = rss.reduce(0, +) / Double(rss.count)
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(minutes, rss) {
            sxy += (x - meanX) * (y - meanY)
            sxx += (x - meanX) * (x - meanX)
        }
        let slope = sxy / sxx
        // "rss 90.0 → 90.5 MB, slope +1.572 ± 0.321 MB/min; …": the first slope is RSS's.
        let printed = verdict.range(of: "MB, slope ").flatMap { found in
            verdict[found.upperBound...].split(separator: " ").first.flatMap { Double($0.replacingOccurrences(of: "+", with: "")) }
        }
        #expect(printed.map { abs($0 - slope) <= 0.05 + abs(slope) * 0.05 } == true, "rss slope \(slope) vs the verdict: \(verdict)")
        #expect(verdict.contains("anon") && verdict.contains("heap in use") && verdict.contains("bound 0.02 MB/min"), "\(verdict)")
    }

    @Test("bad options are refused with what was wrong")
    func badOptions() throws {
        for (arguments, word) in [(["--minutes", "0"], "--minutes"), (["--seconds-per-sample", "0"], "--seconds-per-sample"),
                                  (["--members", "9"], "--members"), (["--minutes", "3", "--warm-up", "3"], "--warm-up")] {
            let run = try PartybusProcess.run(["bench", "soak"] + arguments)
            #expect(run.status != 0, "\(arguments)")
            #expect(run.stderr.contains(word), "\(arguments): \(run.stderr)")
        }
    }
}
