import ArgumentParser
import Foundation

/// `partybus recordings …`: what AutoRecord recorded, through the daemon's control API; exports are cooked by the
/// daemon (GStreamer) and downloaded with a progress bar.
struct RecordingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recordings", abstract: "List, show and export the recordings AutoRecord made.",
        subcommands: [List.self, Show.self, Export.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recordings, oldest first (JSON).")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            print(String(decoding: try await DaemonAPI.call(global, "GET", "/v1/recordings"), as: UTF8.self))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One recording: state, tracks, files (JSON).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The recording's id.") var id: String
        func run() async throws {
            let path = "/v1/recordings/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)
            print(String(decoding: try await DaemonAPI.call(global, "GET", path), as: UTF8.self))
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cook a recording: flac|wav|mp3|opus (every track mixed), mix (the live party mix), zip (aligned per-speaker FLACs).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The recording's id.") var id: String
        @Option(help: "flac, wav, mp3, opus, mix or zip.") var format: String = "flac"
        @Option(name: .shortAndLong, help: "Where to write it (default: the export's name in the current folder).") var output: String?

        struct Exported: Decodable { var file: String; var bytes: Int64; var durationSeconds: Double; var download: String }

        func run() async throws {
            let path = "/v1/recordings/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id) + "/export"
            let exported = try await DaemonAPI.call(Exported.self, global, "POST", path, body: ["format": format])
            let data = try await DaemonAPI.call(global, "GET", exported.download)
            let target = URL(fileURLWithPath: output ?? exported.file)
            guard FileManager.default.createFile(atPath: target.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot create \(target.path) (does the folder exist, can you write there?)")
            }
            let handle = try FileHandle(forWritingTo: target)
            defer { try? handle.close() }
            let bar = ProgressBar(total: UInt64(data.count))
            var written = 0
            while written < data.count {
                let end = min(written + 1 << 20, data.count)
                try handle.write(contentsOf: data[written..<end])
                written = end
                bar.update(UInt64(written))
            }
            bar.finish()
            print("\(target.path)  \(format)  \(String(format: "%.1f", exported.durationSeconds)) s  \(data.count) bytes")
        }
    }
}
