import Foundation
import PartyBusCore
import PartyVoice
import Voice

/// The `voice:` section: a few reserved keys for the engine, everything else is a `${…}` variable of the graphs.
///
/// - `graph`: the graph file (default `pipelines/party-voice.yaml`)
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

    /// The voice options from config; `simulated` makes ICE use loopback unless configured otherwise.
    static func options(_ config: PartyBusConfig, simulated: Bool) -> PartyVoiceOptions {
        let members = section(config)
        var graph = "pipelines/party-voice.yaml"
        if case .string(let path)? = members["graph"] { graph = path }
        var addresses: [String] = simulated ? ["127.0.0.1"] : []
        if case .array(let list)? = members["localAddresses"] {
            addresses = list.compactMap { if case .string(let text) = $0 { text } else { nil } }
        }
        var stun: String?
        if case .string(let text)? = members["stunServer"], !text.isEmpty { stun = text }
        return PartyVoiceOptions(
            graphFile: URL(fileURLWithPath: graph),
            variables: PipelinesCommand.variables(config),
            peer: PeerSettings(stunServer: stun, localAddresses: addresses),
            offerTimeout: PartyVoiceOptions.offerTimeout(fromConfig: members["offerTimeoutSeconds"]),
            bridge: bool(config, "bridge", default: true))
    }
}
