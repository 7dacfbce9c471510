import Foundation
import PartyBusTestSupport
import Testing

/// `partybus bench reference` as a user runs it: the fixed workload's CPU time, as a line for people or a bare number.
/// No timing is asserted: the figure is the host's.
@Suite("bench reference")
struct ReferenceBenchTests {
    @Test("prints the total and its three parts, which add up to it")
    func summary() throws {
        let run = try PartybusProcess.run(["bench", "reference", "--runs", "1"])
        #expect(run.status == 0, "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
        let line = try #require(run.stdout.split(separator: "\n").first { $0.contains("reference: ") }, "\(run.stdout)")
        let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Double($0) }
        #expect(numbers.count == 4, "a total and three parts: \(line)")
        if numbers.count == 4 {
            #expect(numbers[0] > 0)
            // Each is rounded to a whole millisecond, so the parts may miss the total by up to 1.5 ms.
            #expect(abs(numbers[1] + numbers[2] + numbers[3] - numbers[0]) <= 1.5, "\(line)")
        }
    }

    @Test("--total prints only the median in milliseconds")
    func total() throws {
        let run = try PartybusProcess.run(["bench", "reference", "--runs", "3", "--total"])
        #expect(run.status == 0, "stderr:\n\(run.stderr)")
        let value = Double(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect((value ?? 0) > 0, "a bare number: \(run.stdout)")
    }

    @Test("--runs outside 1…50 is refused, saying so")
    func badRuns() throws {
        for bad in ["0", "51", "x"] {
            let run = try PartybusProcess.run(["bench", "reference", "--runs", bad])
            #expect(run.status != 0)
            #expect(run.stderr.contains("--runs"), "\(run.stderr)")
        }
    }
}
