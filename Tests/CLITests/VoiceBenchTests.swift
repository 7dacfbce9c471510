import Foundation
import PartyBusTestSupport
import Testing

/// `partybus bench voice` run as a user runs it: a party of 15 remote members (a child simulator's media members, a
/// tone each), every one of them heard at every step. No timing is asserted: the figures depend on the machine.
@Suite("bench voice", .serialized)
struct VoiceBenchTests {
    @Test("--members 15 with a short window: a row for 1, 4 and 15 members, every member heard")
    func fifteenMembersHeard() throws {
        let run = try PartybusProcess.run(["bench", "voice", "--members", "15", "--seconds", "2", "--no-latency"])
        #expect(run.status == 0, "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
        // Each row: members | CPU | RSS | context switches/s | heard | margin | sim % | load.
        let rows = run.stdout.split(separator: "\n").compactMap { line -> (members: Int, heard: String, cpu: Double, rss: Double)? in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 8, let members = Int(cells[0]), let cpu = Double(cells[1]), let rss = Double(cells[2]) else { return nil }
            return (members, cells[4], cpu, rss)
        }
        #expect(rows.map(\.members) == [1, 4, 15], "\(run.stdout)")
        for row in rows {
            #expect(row.heard == "\(row.members)/\(row.members)", "\(run.stdout)")
            #expect(row.cpu > 0 && row.rss > 0, "measured something: \(run.stdout)")
        }
        #expect(run.stdout.contains("every member heard at every step"), "\(run.stdout)")
        #expect(!run.stdout.contains("NOT HEARD"), "\(run.stdout)")
    }

    @Test("--members outside 1…15 is refused with what was wrong")
    func badMembers() throws {
        for bad in ["0", "16", "1,x", ""] {
            let run = try PartybusProcess.run(["bench", "voice", "--members", bad, "--no-latency"])
            #expect(run.status != 0, "\(bad)")
            #expect(run.stderr.contains("--members"), "\(bad): \(run.stderr)")
        }
    }
}
