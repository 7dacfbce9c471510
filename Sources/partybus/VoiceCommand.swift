import ArgumentParser
import Foundation
import PartyBusCore

/// `partybus voice …`: controls voice in the running daemon (`partybus up`) through its control API.
struct VoiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice", abstract: "Start, stop, mute and level party voice in the running daemon.",
        subcommands: [Status.self, Start.self, Stop.self, Mute.self, Unmute.self, Volume.self], defaultSubcommand: Status.self)

    static func run(_ global: GlobalOptions, _ method: String, _ path: String, body: [String: Any]? = nil) async throws {
        print(String(decoding: try await DaemonAPI.call(global, method, path, body: body), as: UTF8.self))
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What voice is doing (JSON).")
        @OptionGroup var global: GlobalOptions
        func run() async throws { try await VoiceCommand.run(global, "GET", "/v1/voice") }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start voice in a party (default: the one we are in).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The party session id.") var sessionId: String?
        func run() async throws {
            try await VoiceCommand.run(global, "POST", "/v1/voice/start", body: sessionId.map { ["sessionId": $0] } ?? [:])
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop voice (bridge deleted, peers closed).")
        @OptionGroup var global: GlobalOptions
        func run() async throws { try await VoiceCommand.run(global, "POST", "/v1/voice/stop") }
    }

    struct Mute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mute the microphone.")
        @OptionGroup var global: GlobalOptions
        func run() async throws { try await VoiceCommand.run(global, "POST", "/v1/voice/mute") }
    }

    struct Unmute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unmute the microphone.")
        @OptionGroup var global: GlobalOptions
        func run() async throws { try await VoiceCommand.run(global, "POST", "/v1/voice/unmute") }
    }

    struct Volume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a member's playback volume (0 = silent, 1 = as received).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The member's account id.") var member: String
        @Argument(help: "Volume, 0…10.") var level: Double
        func run() async throws {
            try await VoiceCommand.run(global, "POST", "/v1/voice/volume", body: ["peer": member, "volume": level])
        }
    }
}
