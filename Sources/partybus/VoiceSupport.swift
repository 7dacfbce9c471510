import Foundation
import PartyBusCore
import PartyVoice
import Voice

/// The `voice:` section: a few reserved keys for the engine, everything else is a `${…}` variable of the graphs.
///
/// - `graph`: the graph file (default `pipelines/party-voice.yaml`); relative: beside the configuration file, else in
///   the working directory (`graphFile(_:)`)
/// - `enabled` (default true), `autoStart` (default true: voice starts when we create or join a party)
/// - `bridge` (default true: open the rtcBridge uplink)
/// - `localAddresses`: addresses ICE gathers on (default: every interface; the simulator: 127.0.0.1)
/// - `stunServer`: `stun://host:port` for server-reflexive candidates
enum VoiceSupport {
    static func section(_ config: PartyBusConfig) -> [String: JSONValue] {
        if case .object(let members) = config.sections["voice"] ?? .object([:]) { return members }
        return [:]
    }

    static func bool(_ config: PartyBusConfig, _ key: String, default value: Bool) -> Bool {
        if case .bool(let flag)? = section(config)[key] { return flag }
        return value
    }

    /// The graph file `voice.graph` names: an absolute path as is; a relative one in the configuration file's folder,
    /// else in the working directory (where the default `pipelines/party-voice.yaml` of a checkout is). Throws a
    /// message naming the key and every place looked at.
    static func graphFile(_ config: PartyBusConfig) throws -> URL {
        let members = section(config)
        var graph = "pipelines/party-voice.yaml"
        switch members["graph"] {
        case nil: break
        case .string(let path)? where !path.isEmpty: graph = (path as NSString).expandingTildeInPath
        default: throw VoiceConfigError("voice.graph must be a file path (a string)")
        }
        if graph.hasPrefix("/") {
            guard FileManager.default.fileExists(atPath: graph) else {
                throw VoiceConfigError("voice.graph: \(graph) does not exist")
            }
            return URL(fileURLWithPath: graph)
        }
        var candidates: [String] = []
        if let file = config.file {
            candidates.append(URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(graph).standardized.path)
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(graph).standardized.path)
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            let key = members["graph"] == nil ? "voice.graph (default \(graph))" : "voice.graph"
            throw VoiceConfigError(
                "\(key): '\(graph)' not found (looked at \(candidates.joined(separator: " and "))); set voice.graph, or voice.enabled: false")
        }
        return URL(fileURLWithPath: found)
    }

    /// The voice options from config; `simulated` makes ICE use loopback unless configured otherwise.
    static func options(_ config: PartyBusConfig, simulated: Bool) throws -> PartyVoiceOptions {
        let members = section(config)
        let graph = try graphFile(config)
        var addresses: [String] = simulated ? ["127.0.0.1"] : []
        if case .array(let list)? = members["localAddresses"] {
            addresses = list.compactMap { if case .string(let text) = $0 { text } else { nil } }
        }
        var stun: String?
        if case .string(let text)? = members["stunServer"], !text.isEmpty { stun = text }
        return PartyVoiceOptions(
            graphFile: graph,
            variables: PipelinesCommand.variables(config),
            peer: PeerSettings(stunServer: stun, localAddresses: addresses),
            offerTimeout: PartyVoiceOptions.offerTimeout(fromConfig: members["offerTimeoutSeconds"]),
            bridge: bool(config, "bridge", default: true))
    }
}

/// A `voice:` setting that cannot be used; the message names the key.
struct VoiceConfigError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
