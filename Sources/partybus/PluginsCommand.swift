import ArgumentParser
import Foundation
import PartyBusCore

/// `partybus plugins …`.
struct PluginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "Inspect, write and test plugins.",
        subcommands: [List.self, PluginsNewCommand.self, PluginsTestCommand.self])

    /// `plugins list`: configured plugins, what the log says of them, and the built-ins available.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the configured plugins with their state and checkpoint from the event log.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let config = try global.loadConfig()
            var status = PluginStatusProjection()
            var checkpoints: [String: UInt64] = [:]
            if FileManager.default.fileExists(atPath: config.eventLogPath) {
                let log = try EventLog(readingOnly: config.eventLogPath)
                status = try PluginStatusProjection.fold(log)
                checkpoints = try log.stats().checkpoints
            }
            print("NAME                 KIND     ENABLED  STATE     CHECKPOINT  FAILURES  SOURCE")
            for entry in config.plugins {
                let seen = status.plugins[entry.name]
                let source = entry.library ?? entry.exec?.joined(separator: " ") ?? "builtin \(entry.builtin ?? "?")"
                var problem = ""
                if let library = entry.library {
                    do { _ = try DynamicPluginLibrary.load(path: library) } catch { problem = "\n    ! \(error)" }
                }
                print(
                    [
                        entry.name.padding(toLength: 20, withPad: " ", startingAt: 0),
                        entry.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0),
                        (entry.enabled ? "yes" : "no").padding(toLength: 8, withPad: " ", startingAt: 0),
                        (seen?.state ?? "never").padding(toLength: 9, withPad: " ", startingAt: 0),
                        String(checkpoints[entry.name] ?? 0).padding(toLength: 11, withPad: " ", startingAt: 0),
                        String(seen?.failures ?? 0).padding(toLength: 9, withPad: " ", startingAt: 0),
                        source,
                    ].joined(separator: " ") + problem)
                if let failure = seen?.lastFailure { print("    last failure: \(failure)") }
            }
            let others = status.plugins.keys.filter { name in !config.plugins.contains { $0.name == name } }
            for name in others.sorted() {
                print("\(name.padding(toLength: 20, withPad: " ", startingAt: 0)) (in the log, not in the config: \(status.plugins[name]!.state))")
            }
            print("\nbuilt in: \(BuiltinPlugins.catalog.builtins.keys.sorted().joined(separator: ", "))")
        }
    }
}
