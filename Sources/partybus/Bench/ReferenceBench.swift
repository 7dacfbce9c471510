import ArgumentParser
import Foundation

/// `partybus bench reference`: how fast this host is right now, as the CPU time of a fixed workload — run it beside
/// other benches' figures (`bench voice` does, before each window) to tell a slower host from a costlier build.
struct ReferenceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference",
        abstract: "CPU time of a fixed workload (pointers, allocation, arithmetic): compare figures across hosts and times.")

    @Option(help: "Runs of the workload; the median is printed.")
    var runs = 3

    @Flag(help: "Print only the median total in milliseconds.")
    var total = false

    func validate() throws {
        guard (1...50).contains(runs) else { throw ValidationError("--runs: \(runs) is not from 1 to 50") }
    }

    func run() throws {
        let results = try (0..<runs).map { _ in try HostReference.run() }.sorted { $0.totalMilliseconds < $1.totalMilliseconds }
        let median = results[results.count / 2]
        if total {
            print(String(format: "%.1f", median.totalMilliseconds))
        } else {
            print("PartyBus host reference (median of \(runs); lower is faster; the same instructions every run)")
            print("  " + median.summary)
        }
    }
}
