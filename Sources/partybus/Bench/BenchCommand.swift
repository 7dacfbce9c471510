import ArgumentParser

/// `partybus bench …`: measured figures (build with `-c release`).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks; run from a release build (swift run -c release partybus bench …).",
        subcommands: [EventLogBench.self, JoinBench.self, VoiceBench.self, OBSBench.self, P2PBench.self, RecordBench.self,
                      SoakBench.self, ReferenceBench.self])
}
