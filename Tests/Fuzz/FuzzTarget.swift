import Foundation
import P2P
import PSN
@_spi(Fuzzing) import PSN
import PartyBusCore
import PartyBusPluginAPI
import Voice

/// The parsers of outside data the fuzzer drives, one per target; each takes arbitrary bytes and must return (an
/// error is fine) without crashing, hanging or growing without bound.
enum FuzzTarget: String, CaseIterable {
    /// `miranda:12` payloads from other members (psn-protocol.md D.5).
    case miranda
    /// Push WebSocket frames turned into events (E.5).
    case push
    /// Remote SDP read, and our rewrites of it (D.4, C.8).
    case sdp
    /// YAML audio graphs (`pipelines/`).
    case graph
    /// The configuration file.
    case config
    /// HTTP error bodies from PSN (F.3 and OAuth's shape).
    case errorbody
    /// Access tokens (JWT-shaped) read at sign-in.
    case token
    /// P2P party tokens (`pb1…`) a friend pastes.
    case p2ptoken
    /// STUN/TURN messages from the network.
    case stun

    /// Feeds one input to the target.
    func run(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        switch self {
        case .miranda:
            _ = try? MirandaMessage(payload: text)
        case .push:
            _ = PushTranslator().drafts(forFrame: text, state: PartyProjection(), source: .live)
        case .sdp:
            if let description = try? SessionDescription(text) { _ = description.forWebRTCBin }
            _ = AppShapedSDP.offer(text)
            _ = AppShapedSDP.audioMid(text)
            _ = SessionDescription.fillingBundledTransport(text)
            _ = SessionDescription.rewriteOpusClock(text, payloadType: 96, from: 16000, to: 48000)
        case .graph:
            _ = try? GraphParser(variables: ["audio.output": "fakesink"]).parse(text: text, file: "fuzz.yaml")
        case .config:
            let path = "/dev/shm/partybus-fuzz-config-\(getpid()).yaml"
            guard FileManager.default.createFile(atPath: path, contents: data) else { return }
            defer { unlink(path) }
            _ = try? ConfigLoader(environment: [:]).load(file: path)
        case .errorbody:
            _ = PSNFuzzEntryPoints.errorBody(data, status: 400)
        case .token:
            _ = PSNFuzzEntryPoints.accountId(ofToken: text)
        case .p2ptoken:
            _ = try? PartyToken(parsing: text, now: Date(timeIntervalSince1970: 1_800_000_000))
        case .stun:
            _ = try? StunCodec.parse(Array(data))
            _ = try? StunCodec.parse(Array(data), integrityKey: Array("fuzz-key".utf8))
        }
    }
}
