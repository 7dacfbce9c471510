import ArgumentParser
import Foundation

/// `partybus status`: what the daemon says of itself (account, push, parties, voice, log head) as JSON.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "The daemon's status: account, push socket, parties, voice, log head (JSON).")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let data = try await DaemonAPI.call(global, "GET", "/v1/status")
        let object = try JSONSerialization.jsonObject(with: data)
        let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: pretty, as: UTF8.self))
    }
}
