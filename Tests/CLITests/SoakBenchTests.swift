import Foundation
import PartyBusTestSupport
import Testing

/// `partybus bench soak` run as a user runs it, short: a child `partybus up` (voice, auto-record) in a party against a
/// child `partybus sim --media`, members coming and going. No figure is asserted (they depend on the machine): every
/// sample row is there, measured, and the verdict line says something.
@Suite("bench soak", .serialized)
struct SoakBenchTests {
    @Test("--minutes 5 --seconds-per-sample 6: five measured sample rows with voice and recording on, then a verdict")
    func shortSoak() throws {
        let run = try PartybusProcess.run(["bench", "soak", "--minutes", "5", "--seconds-per-sample", "6", "--members", "2"])
        #expect(run.status == 0, "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
        // Each row: sample/of minute rss_mb anon_mb fds threads events members peers recording.
        let rows = run.stdout.split(separator: "\n").compactMap { line -> [String]? in
            let cells = line.split(separator: " ").map(String.init)
            guard cells.count == 10, cells[0].contains("/") else { return nil }
            return cells
        }
        #expect(rows.map(\.[0]) == (1...5).map { "\($0)/5" }, "\(run.stdout)")
        for row in rows {
            #expect((Double(row[2]) ?? 0) > 0, "RSS measured: \(row)")
            #expect((Double(row[3]) ?? 0) > 0 && (Double(row[3]) ?? 0) <= (Double(row[2]) ?? 0), "anonymous part of RSS: \(row)")
            #expect((Int(row[4]) ?? 0) > 2, "descriptors counted: \(row)")
            #expect((Int(row[5]) ?? 0) > 1, "threads counted: \(row)")
            #expect(Int(row[6]) != nil && Int(row[7]) != nil && Int(row[8]) != nil && Int(row[9]) != nil, "\(row)")
        }
        #expect(rows.contains { (Int($0[6]) ?? 0) > 0 }, "events were appended: \(run.stdout)")
        #expect(rows.contains { (Int($0[8]) ?? 0) > 0 }, "voice had a connected peer: \(run.stdout)")
        #expect(rows.contains { (Int($0[9]) ?? 0) > 0 }, "a recording was running: \(run.stdout)")
        let verdict = run.stdout.split(separator: "\n").last { $0.hasPrefix("verdict: ") }
        #expect(verdict.map { $0.contains("flat after warm-up") || $0.contains("GROWING") } == true, "\(run.stdout)")
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
