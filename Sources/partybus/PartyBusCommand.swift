import ArgumentParser
import CPartyBusShims
import Foundation
import PartyBusCore
import PartyBusDaemon

/// The `partybus` command: PlayStation party chat, headless, built around an event log.
@main
struct PartyBusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partybus",
        abstract: "PlayStation party chat, headless: an event log, plugins, voice and PSN.",
        discussion: """
            Every auth, party, push and voice event is appended to an SQLite event log before anything reacts to \
            it. Plugins (built-in, shared objects, or any program fed JSON lines) react to events. Start with \
            `partybus demo`, then read docs/ for the plugin API and the event catalogue.
            """,
        version: Engine.version,
        subcommands: [
            UpCommand.self, DemoCommand.self, SimCommand.self, LoginCommand.self, LogoutCommand.self, WhoamiCommand.self,
            StatusCommand.self, PartiesCommand.self, VoiceCommand.self, RecordingsCommand.self, P2PCommand.self, PipelinesCommand.self, EventsCommand.self, ReplayCommand.self, PluginsCommand.self,
            ConfigCommand.self, ServiceCommand.self, BenchCommand.self, DebugCommand.self,
        ])

    static func main() async {
        // `up` caps malloc's arenas before anything else runs: an arena made while two threads contended before the
        // cap stays for good (a soak once counted 3 against the cap of 2 when the cap came later, in `run()`).
        if CommandLine.arguments.dropFirst().first == "up" { MallocArenas.limitForDaemon() }
        pb_line_buffer_stdout()
        // Everything partybus writes (log, tokens, recordings, sockets) is for its owner alone.
        umask(0o077)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
