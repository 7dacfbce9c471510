import ArgumentParser
import Foundation
import PartyBusCore
import Voice

/// `partybus pipelines …`: the YAML audio graphs (docs/pipelines.md).
struct PipelinesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipelines", abstract: "List, check and draw the audio graphs in pipelines/.",
        subcommands: [List.self, Check.self, Dot.self])

    /// `${key}` values from the `voice:` section, flattened to dotted keys (`voice: {audio: {input: x}}` →
    /// `audio.input`).
    static func variables(_ config: PartyBusConfig) -> [String: String] {
        GraphVariables.flatten(config.sections["voice"] ?? .object([:]))
    }

    /// Parses and validates one file.
    static func check(_ file: String, variables: [String: String]) -> (GraphSpec?, [ConfigDiagnostic]) {
        GraphFile.check(file, variables: variables)
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The graphs in a folder, with whether each checks out.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "The folder of graph files.") var dir = "pipelines"

        func run() async throws {
            let variables = PipelinesCommand.variables(try global.loadConfig())
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            if files.isEmpty { print("no graph files in \(dir)") }
            for file in files {
                let path = (dir as NSString).appendingPathComponent(file)
                let (spec, problems) = PipelinesCommand.check(path, variables: variables)
                let status = problems.isEmpty ? "ok" : "\(problems.count) problem\(problems.count == 1 ? "" : "s")"
                print("\(file.padding(toLength: 22, withPad: " ", startingAt: 0)) \(status.padding(toLength: 12, withPad: " ", startingAt: 0)) \(spec?.description ?? "")")
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report YAML syntax, unknown elements, unknown or mistyped properties, bad links and missing taps as file:line:col.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Graph files.") var files: [String]

        func run() async throws {
            let variables = PipelinesCommand.variables(try global.loadConfig())
            var failed = false
            for file in files {
                let (_, problems) = PipelinesCommand.check(file, variables: variables)
                if problems.isEmpty {
                    print("\(file): ok")
                } else {
                    failed = true
                    problems.forEach { print("\($0)") }
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Dot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a graph as Graphviz DOT (pipe it to `dot -Tpng`).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "A graph file.") var file: String

        func run() async throws {
            let (spec, problems) = PipelinesCommand.check(file, variables: PipelinesCommand.variables(try global.loadConfig()))
            guard let spec else {
                problems.forEach { printError("\($0)") }
                throw ExitCode(1)
            }
            problems.forEach { printError("warning: \($0)") }
            print(GraphDot.render(spec))
        }
    }
}
