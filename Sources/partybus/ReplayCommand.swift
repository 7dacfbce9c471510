import ArgumentParser
import Foundation
import PSN
import PartyBusCore

/// `partybus replay LOG`: run a fresh engine over a recorded log and show what each plugin did.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run a fresh engine over a recorded log; side effects are recorded, not performed.",
        discussion: """
            The recorded input events (everything but the plugins' own streams and the engine's) are appended to a \
            scratch log; the configured plugins react as they would live. Prints each plugin's reactions, where \
            they differ from the reactions recorded in the log, and the projections at the end.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The recorded event log (an events.sqlite file).") var log: String
    @Option(name: .long, help: "First recorded seq.") var from: UInt64 = 1
    @Option(name: .long, help: "Last recorded seq.") var to: UInt64?
    @Option(name: .long, help: "0 = as fast as possible, 1 = recorded pace, 2 = twice as fast…") var speed: Double = 0
    @Option(name: .long, parsing: .upToNextOption, help: "Only these plugins (names from the config).") var plugins: [String] = []
    @Flag(name: .long, help: "Do not print the replayed events.") var quiet = false

    func validate() throws {
        if speed < 0 { throw ValidationError("--speed must be 0 or more") }
    }

    func run() async throws {
        let config = try global.loadConfig()
        var options = Replayer.Options()
        options.from = from
        options.to = to ?? .max
        options.speed = speed
        options.plugins = plugins.isEmpty ? nil : Set(plugins.flatMap { $0.split(separator: ",").map(String.init) })
        Self.addPartyProjection(to: &options)
        let printer = EventPrinter()
        let quiet = self.quiet
        let report = try await Replayer(config: config, catalog: BuiltinPlugins.catalog, logger: Logging.engine)
            .run(recordedPath: log, options: options) { event in if !quiet { printer.print(event) } }
        ReplayCommand.printReport(report)
        if !report.divergences.isEmpty { throw ExitCode(3) }
    }

    /// The party projection (PSN module) for the replayed plugins (`context.parties()`) and in the report.
    static func addPartyProjection(to options: inout Replayer.Options) {
        options.partyReader = { FoldedPartyReader(log: $0) }
        options.projections[PartyProjection.name] = { try Replayer.json(PartyProjection.fold($0)) }
    }

    static func printReport(_ report: Replayer.Report) {
        print("\nreplayed \(report.replayed) events")
        for failure in report.loadFailures { print("  not loaded: \(failure)") }
        let byPlugin = Dictionary(grouping: report.reactions, by: \.plugin)
        for plugin in byPlugin.keys.sorted() {
            print("plugin \(plugin):")
            for reaction in byPlugin[plugin]! {
                let trigger = reaction.recordedSeq.map { "#\($0)" } ?? "—"
                let verb = switch reaction.kind {
                case "published": "published"
                case "sideEffect": "would"
                default: "failed:"
                }
                let payload = reaction.payload.flatMap { try? JSONEncoder.sortedCompact.encode($0) }
                    .map { " " + String(decoding: $0, as: UTF8.self) } ?? ""
                print("  \(trigger.padding(toLength: 8, withPad: " ", startingAt: 0)) \(verb) \(reaction.detail)\(payload)")
            }
        }
        if report.divergences.isEmpty {
            print("no divergence from the recorded reactions (exec hooks do not run in a replay and are not compared)")
        } else {
            print("divergences:")
            for line in report.divergences { print("  \(line)") }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(report.projections) {
            print("projections:\n\(String(decoding: data, as: UTF8.self))")
        }
    }
}

extension JSONEncoder {
    /// Sorted keys, no pretty printing, slashes as they are: one-line JSON for reports.
    static var sortedCompact: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
