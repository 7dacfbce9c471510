import Foundation
import PartyBusCore
import Testing
import Voice

/// The graph-format pieces the output graphs use (docs/pipelines.md): `optional`, `peer.output` with per-peer
/// placeholders, `sdp:`, empty values, the SRT passphrase rule, and what `DeviceCheck` makes of a device that is
/// not there.
@Suite("Graph outputs")
struct GraphOutputFormatTests {
    func parse(_ text: String, variables: [String: String] = [:]) throws -> (GraphSpec, [String]) {
        let (spec, shape) = try GraphParser(variables: variables).parse(text: text, file: "g.yaml")
        return (spec, (shape + GraphValidator(file: "g.yaml").validate(spec)).map(\.description))
    }

    static let graph = """
        graph: out
        nodes:
          mix:   { element: audiomixer }
          split: { element: tee }
          local: { element: "${local:-pulsesink}", optional: true }
          enc:   { element: opusenc }
          pay:   { element: rtpopuspay, props: { pt: 97 } }
          rtp:   { element: udpsink, props: { host: 127.0.0.1, port: 5006, sync: false } }
          srt:   { element: srtsink, props: { mode: listener, localaddress: "${addr:-127.0.0.1}", passphrase: "${pass:-}" } }
        links:
          - mix ! split
          - split ! queue ! local
          - split ! queue ! enc ! pay ! rtp
        sdp: { rtp: "${sdp:-g.sdp}" }
        peer:
          receive: rtpopusdepay ! opusdec ! volume name=level ! mix
          tap: level
          output: audioconvert ! wavenc ! filesink location=/tmp/member-%{peer}-%{slot}-%{slot+9720}.wav
        taps: { party-mix: mix }
        """

    @Test("optional nodes, peer.output, sdp and empty values parse; an unset passphrase is not set at all")
    func parses() throws {
        let (spec, problems) = try parse(Self.graph)
        #expect(problems.isEmpty, "\(problems)")
        #expect(spec.node("local")?.optional == true && spec.node("mix")?.optional == false)
        #expect(spec.peer?.output?.text.contains("%{peer}") == true)
        #expect(spec.sdp.map(\.node) == ["rtp"] && spec.sdp.map(\.file) == ["g.sdp"])
        #expect(spec.node("srt")?.properties.contains { $0.name == "passphrase" } == false)
    }

    @Test("placeholders are filled per peer; unknown ones stay as written")
    func placeholders() {
        #expect(PeerPlaceholders.fill("m-%{peer}-%{slot}-%{slot+9720}-%{other}", peer: "p1", slot: 2) == "m-p1-2-9722-%{other}")
        #expect(PeerPlaceholders.fill("no placeholder", peer: "p", slot: 0) == "no placeholder")
        #expect(PeerPlaceholders.fill("m-%{start}.wav", peer: "p", slot: 0, start: "20261202-013000") == "m-20261202-013000.wav")
        #expect(GraphVariables.timestamp(Date(timeIntervalSince1970: 0)) == "19700101-000000")
    }

    @Test("an SRT listener beyond loopback needs a passphrase of 10–79 characters")
    func srtPassphrase() throws {
        #expect(try parse(Self.graph).1.isEmpty)
        let open = try parse(Self.graph, variables: ["addr": "0.0.0.0"]).1
        #expect(open.contains { $0.contains("nodes.srt") && $0.contains("needs a passphrase") }, "\(open)")
        let short = try parse(Self.graph, variables: ["addr": "0.0.0.0", "pass": "short"]).1
        #expect(short.contains { $0.contains("10 to 79 characters") } && !short.joined().contains("short\""), "\(short)")
        #expect(try parse(Self.graph, variables: ["addr": "0.0.0.0", "pass": "long enough secret"]).1.isEmpty)
        // A name that only starts like loopback is not loopback.
        #expect(!(try parse(Self.graph, variables: ["addr": "127.evil.example"]).1.isEmpty))
    }

    @Test("peer.output may not reach graph nodes; sdp must name a udpsink")
    func outputMistakes() throws {
        let text = Self.graph.replacingOccurrences(of: "output: audioconvert ! wavenc", with: "output: audioconvert ! mix ! wavenc")
            .replacingOccurrences(of: "sdp: { rtp:", with: "sdp: { mix:")
        let problems = try parse(text).1
        #expect(problems.contains { $0.contains("peer.output: 'mix' is a node of the graph") }, "\(problems)")
        #expect(problems.contains { $0.contains("sdp.mix: no udpsink node 'mix'") }, "\(problems)")
    }

    @Test("the .sdp describes what the udpsink sends: its port and the payloader's type, Opus at 48000/2")
    func sessionFile() throws {
        let (spec, _) = try parse(Self.graph)
        let text = try SessionFile.text(for: "rtp", in: spec)
        #expect(text.contains("c=IN IP4 127.0.0.1\r\n") && text.contains("m=audio 5006 RTP/AVP 97\r\n"), "\(text)")
        #expect(text.contains("a=rtpmap:97 opus/48000/2\r\n"), "\(text)")
    }

    @Test("a sink that cannot open is replaced by fakesink and reported; other nodes are left alone")
    func deviceCheck() async throws {
        // A PulseAudio server that exists nowhere: the optional node (and any audio device) must not stop the graph.
        let text = Self.graph.replacingOccurrences(
            of: #"local: { element: "${local:-pulsesink}", optional: true }"#,
            with: #"local: { element: pulsesink, optional: true, props: { server: "unix:/nonexistent/partybus-pulse" } }"#)
        let (withDevice, problems) = try parse(text)
        #expect(problems.isEmpty, "\(problems)")
        #expect(withDevice.node("local")?.element == "pulsesink")
        let result = await DeviceCheck.run(withDevice)
        #expect(result.deviceNodes.contains("local"))
        let degraded = try #require(result.degradations.first { $0.node == "local" }, "\(result.degradations)")
        #expect(degraded.element == "pulsesink" && degraded.fallback == "fakesink", "\(degraded)")
        #expect(result.spec.node("local")?.element == "fakesink")
        #expect(!result.degradations.contains { $0.node == "srt" || $0.node == "rtp" })
    }
}
