import Foundation
import PartyBusCore
import Voice

/// The folder of audio graph files the control API shows and edits: the folder of the configured voice graph
/// (`voice.graph`, default `pipelines/party-voice.yaml`, relative to the working directory like voice reads it).
/// Checks go through the Voice module's parser and validator, as `partybus pipelines check` does.
struct GraphFolder: Sendable {
    /// The folder.
    let url: URL
    /// The file name of the graph voice is configured with.
    let voiceGraph: String
    /// `${…}` values from the `voice:` section.
    let variables: [String: String]

    /// Largest graph text checked or saved (a graph file is a few kilobytes).
    static let maxTextBytes = 256 * 1024

    init(config: PartyBusConfig) {
        var members: [String: JSONValue] = [:]
        if case .object(let section)? = config.sections["voice"] { members = section }
        var graph = "pipelines/party-voice.yaml"
        if case .string(let path)? = members["graph"], !path.isEmpty { graph = path }
        let file = URL(fileURLWithPath: graph).standardizedFileURL
        url = file.deletingLastPathComponent()
        voiceGraph = file.lastPathComponent
        variables = Self.variables(members)
    }

    /// `voice:` values flattened to dotted keys (`audio: {input: x}` → `audio.input`).
    static func variables(_ members: [String: JSONValue]) -> [String: String] {
        GraphVariables.flatten(.object(members))
    }

    /// True for a plain graph file name: `[A-Za-z0-9._-]`, starting with a letter or digit, ending `.yaml` or `.yml`
    /// (so no `/`, no `..`, no hidden files), at most 100 bytes.
    static func isPlainName(_ name: String) -> Bool {
        guard (6...100).contains(name.utf8.count), name.hasSuffix(".yaml") || name.hasSuffix(".yml"),
            let first = name.utf8.first, isAlphanumeric(first), !name.contains("..")
        else { return false }
        return name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// The graph file names in the folder, sorted.
    func names() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter(Self.isPlainName).sorted()
    }

    /// The file of a checked name.
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Every problem of a graph's text, in file order (empty when it is good). Runs off the cooperative pool:
    /// validation holds GStreamer's registry lock and may load plugins.
    func check(_ text: String, file: String) async -> [ConfigDiagnostic] {
        let variables = self.variables
        return await Self.offPool {
            do {
                let (spec, shape) = try GraphParser(variables: variables).parse(text: text, file: file)
                return (shape + GraphValidator(file: file).validate(spec))
                    .sorted { ($0.line ?? 0, $0.column ?? 0) < ($1.line ?? 0, $1.column ?? 0) }
            } catch let errors as ConfigErrors {
                return errors.diagnostics
            } catch {
                return [ConfigDiagnostic(file: file, line: nil, column: nil, message: "\(error)")]
            }
        }
    }

    /// Runs `work` on a Dispatch worker instead of a cooperative thread.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
