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
            let plugins = config.plugins.map { entry in
                var entry = entry
                entry.options = Self.redacted(entry.options)
                return entry
            }
            let shown = Shown(
                file: config.file, dataDirectory: config.dataDirectory.path, engine: config.engine, plugins: plugins)
            print(String(decoding: try encoder.encode(shown), as: UTF8.self))
        }

        /// Plugin options with the values of credential-like keys (`secret`, `token`, `password`, `npsso`, any case,
        /// anywhere in the name) replaced by `<redacted>`.
        static func redacted(_ value: JSONValue) -> JSONValue {
            switch value {
            case .object(let members):
                var out: [String: JSONValue] = [:]
                for (key, member) in members {
                    let lower = key.lowercased()
                    let secret = ["secret", "token", "password", "npsso"].contains { lower.contains($0) }
                        && !lower.hasSuffix("_file") && !lower.hasSuffix("file")
                    out[key] = secret ? .string(Secret.redactedMarker) : redacted(member)
                }
                return .object(out)
            case .array(let items):
                return .array(items.map(redacted))
            default:
                return value
            }
        }
    }
}
