import Foundation
import Voice

/// The two embedded voice graphs (docs/pipelines.md format): a scripted member's and a bridge peer's.
enum MediaGraphs {
    /// A scripted member: `MIC` as the microphone (see `memberYAML(mic:chain:)`), Opus/RTP into the `mic` tap;
    /// every peer decoded into the mixer, the mix to a 16-bit WAV file.
    private static let memberTemplate = """
        graph: GRAPH
        description: A scripted PSN member - DESCRIPTION as the microphone, the party mix to a WAV file.
        nodes:
          mic:  MIC
          enc:  { element: opusenc, props: { bitrate: 40000, frame-size: 40 } }
          pay:  { element: rtpopuspay, props: { pt: 111 } }
          send: { element: tee, props: { allow-not-linked: true } }
          mix:  { element: audiomixer }
          wav:  { element: wavenc }
          file: { element: filesink, props: { location: "${member.output}" } }
        links:
          - mic ! CHAIN ! enc ! pay ! send
          - mix ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! audio/x-raw,format=S16LE ! wav ! file
        peer:
          webrtc: { bundle-policy: max-bundle, latency: 40 }
          receive: rtpopusdepay ! opusdec ! audio/x-raw,channels=2 ! audioconvert ! audioresample ! volume name=level ! mix
          tap: level
        taps:
          party-mix: mix
          mic: send
        """

    private static func memberYAML(graph: String, description: String, mic: String, chain: String) -> String {
        memberTemplate.replacingOccurrences(of: "GRAPH", with: graph)
            .replacingOccurrences(of: "DESCRIPTION", with: description)
            .replacingOccurrences(of: "MIC", with: mic)
            .replacingOccurrences(of: "CHAIN", with: chain)
    }

    /// The member with its own tone as the mic. Tones are at 0.3 so several of them mix without clipping.
    static let memberYAML = memberYAML(
        graph: "sim-member", description: "its own tone",
        mic: #"{ element: audiotestsrc, props: { wave: sine, freq: "${member.tone}", volume: 0.3, is-live: true } }"#,
        chain: "audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1")

    /// The member with an audio file as the mic, decoded and paced to real time (`clocksync`).
    static let memberFileYAML = memberYAML(
        graph: "sim-member-file", description: "an audio file",
        mic: #"{ element: filesrc, props: { location: "${member.file}" } }"#,
        chain: "decodebin ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! clocksync")

    /// A bridge: no mic; every bridge peer's uplink decoded into the mixer, the mix to a WAV file. A live silent
    /// source keeps the mixer (and the file) running before the first peer and between peers.
    static let bridgeYAML = """
        graph: sim-bridge
        description: An rtcBridge - every peer's uplink mixed into a WAV file.
        nodes:
          quiet: { element: audiotestsrc, props: { wave: silence, is-live: true } }
          mix:   { element: audiomixer }
          wav:   { element: wavenc }
          file:  { element: filesink, props: { location: "${bridge.output}" } }
        links:
          - quiet ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=48000,channels=1 ! mix
          - mix ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! audio/x-raw,format=S16LE ! wav ! file
        peer:
          webrtc: { bundle-policy: max-bundle, latency: 40 }
          receive: rtpopusdepay ! opusdec ! audio/x-raw,channels=2 ! audioconvert ! audioresample ! volume name=level ! mix
          tap: level
        taps:
          party-mix: mix
        """

    /// A member's graph sending `source` and recording to `output`.
    static func member(source: SimulatorMediaOptions.Source, output: String) throws -> GraphSpec {
        switch source {
        case .tone(let hz):
            return try parse(memberYAML, name: "sim-member", ["member.tone": String(hz), "member.output": output])
        case .file(let path):
            return try parse(memberFileYAML, name: "sim-member-file", ["member.file": path, "member.output": output])
        }
    }

    /// A bridge's graph recording to `output`.
    static func bridge(output: String) throws -> GraphSpec {
        try parse(bridgeYAML, name: "sim-bridge", ["bridge.output": output])
    }

    private static func parse(_ yaml: String, name: String, _ variables: [String: String]) throws -> GraphSpec {
        let (spec, problems) = try GraphParser(variables: variables).parse(text: yaml, file: "<\(name)>")
        if let first = problems.first { throw VoiceError("embedded graph \(name): \(first)") }
        return spec
    }
}
