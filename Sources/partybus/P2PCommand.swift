import ArgumentParser
import Foundation
import P2P

/// `partybus p2p …`: the serverless party mode, through the running daemon's control API.
struct P2PCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "p2p", abstract: "Connect engine to engine with friends: tokens, peers, messages (no server).",
        discussion: """
            `partybus p2p token` prints a one-time token (and a QR code when `qrencode` is installed) to give a friend; \
            they run `partybus p2p add TOKEN`. From then on the two engines are friends and reconnect by themselves. \
            Every command talks to `partybus up`, which runs the P2P node.
            """,
        subcommands: [Status.self, Token.self, Add.self, Peers.self, Send.self, Forget.self], defaultSubcommand: Peers.self)

    static func run(_ global: GlobalOptions, _ method: String, _ path: String, body: [String: Any]? = nil) async throws {
        print(String(decoding: try await DaemonAPI.call(global, method, path, body: body), as: UTF8.self))
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Our node: peer id, candidates, NAT mapping, relay (JSON).")
        @OptionGroup var global: GlobalOptions
        func run() async throws { try await P2PCommand.run(global, "GET", "/v1/p2p") }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a one-time party token (pb1…) and print it, with a QR code.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "How long the token is valid, in seconds (60…86400).") var lifetime: Int?
        @Flag(help: "Print only the token.") var plain = false
        func run() async throws {
            struct Answer: Decodable { let token: String; let expiresAt: String }
            let answer = try await DaemonAPI.call(
                Answer.self, global, "POST", "/v1/p2p/token", body: lifetime.map { ["lifetimeSeconds": $0] } ?? [:])
            print(answer.token)
            guard !plain else { return }
            print("valid until \(answer.expiresAt), for one friend")
            if let qr = await TerminalQR.render(answer.token.uppercased()) { print(qr) } else {
                print("(install qrencode to show it as a QR code)")
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Use a friend's token: connect and become friends.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token (pb1…).") var token: String
        @Option(help: "Seconds to wait for the link (0…30).") var wait = 10
        func run() async throws {
            try await P2PCommand.run(global, "POST", "/v1/p2p/peers", body: ["token": token, "waitSeconds": wait])
        }
    }

    struct Peers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every link: state, direct or relayed, address (JSON).")
        @OptionGroup var global: GlobalOptions
        func run() async throws { try await P2PCommand.run(global, "GET", "/v1/p2p/peers") }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a message on a topic to one peer or all.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The peer id (default: every connected peer).") var peer: String?
        @Argument(help: "The topic, e.g. chat.") var topic: String
        @Argument(help: "The message: JSON, or any text (sent as a JSON string).") var message: String
        func run() async throws {
            let body: Any = (try? JSONSerialization.jsonObject(with: Data(message.utf8), options: [.fragmentsAllowed])) ?? message
            var request: [String: Any] = ["topic": topic, "body": body]
            if let peer { request["peer"] = peer }
            try await P2PCommand.run(global, "POST", "/v1/p2p/send", body: request)
        }
    }

    struct Forget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget a friend (its link and key).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The peer id.") var peer: String
        func run() async throws {
            try await P2PCommand.run(global, "DELETE", "/v1/p2p/peers/\(peer)")
        }
    }
}

/// Renders text as a terminal QR code with Debian's `qrencode` when it is installed (nil otherwise). The token is
/// given in upper case so qrencode uses QR alphanumeric mode (a smaller code). Runs on a Dispatch thread.
enum TerminalQR {
    static func render(_ text: String) async -> String? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: renderBlocking(text)) }
        }
    }

    static func renderBlocking(_ text: String) -> String? {
        let binary = "/usr/bin/qrencode"
        guard FileManager.default.isExecutableFile(atPath: binary) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-t", "UTF8", "-m", "2", text]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: output, as: UTF8.self)
    }
}
