import ArgumentParser
import Foundation
import PartyBusCore

/// `partybus config …`.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check or show the configuration.", subcommands: [Check.self, Show.self])

    /// `config check`: every problem as file:line:col: message.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report bad YAML, unknown keys and wrong types as file:line:col: message.")
        @Option(name: .long, help: "The file to check (default: the one the engine would read).") var config: String?
        @Argument(help: "The file to check (same as --config).") var file: String?

        func run() async throws {
            let loader = ConfigLoader(extraSections: GlobalOptions.sections)
            let path = loader.locate(explicit: file ?? config)
            let diagnostics = loader.check(file: path)
            if diagnostics.isEmpty {
                print("\(path ?? "built-in defaults"): ok")
                return
            }
            for diagnostic in diagnostics { print("\(diagnostic)") }
            throw ExitCode(1)
        }
    }

    /// `config show`: the effective configuration as JSON.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective configuration (file + PARTYBUS_* overrides + defaults) as JSON.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let config = try global.loadConfig()
            struct Shown: Encodable {
                var file: String?
                var dataDirectory: String
                var engine: PartyBusConfig.EngineSettings
                var plugins: [PartyBusConfig.PluginSettings]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let shown = Shown(
                file: config.file, dataDirectory: config.dataDirectory.path, engine: config.engine, plugins: config.plugins)
            print(String(decoding: try encoder.encode(shown), as: UTF8.self))
        }
    }
}
