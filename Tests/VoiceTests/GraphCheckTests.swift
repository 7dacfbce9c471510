import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing
import Voice

@Suite("Audio graphs")
struct GraphCheckTests {
    static let pipelines = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../pipelines").standardized

    func check(_ text: String, variables: [String: String] = [:]) throws -> (GraphSpec, [String]) {
        let (spec, shape) = try GraphParser(variables: variables).parse(text: text, file: "g.yaml")
        let problems = (shape + GraphValidator(file: "g.yaml").validate(spec))
            .sorted { ($0.line ?? 0, $0.column ?? 0) < ($1.line ?? 0, $1.column ?? 0) }
        return (spec, problems.map(\.description))
    }

    @Test("the shipped graphs check out against this machine's GStreamer", arguments: ["party-voice", "listen-only", "obs", "obs-per-speaker", "headless", "headless-test"])
    func shippedGraphs(name: String) throws {
        let text = try String(contentsOf: Self.pipelines.appendingPathComponent("\(name).yaml"), encoding: .utf8)
        let (spec, problems) = try check(text)
        #expect(problems.isEmpty, "\(problems)")
        #expect(spec.name == name)
        #expect(spec.taps.contains { $0.name == "party-mix" })
        #expect(spec.peer?.receive != nil)
    }

    @Test("every kind of mistake is reported at its line and column")
    func mistakes() throws {
        let (_, problems) = try check(
            """
            graph: broken
            nodez: {}
            nodes:
              mic:  { element: audiotestsrc, props: { wave: squeal, freq: high } }
              enc:  { element: opusenx }
              out:  { element: autoaudiosink, props: { volume: 3 } }
              fx:   { element: volume, props: { volume: 99 } }
            links:
              - mic ! audioconvert ! out ! fx
              - ghost ! out
            taps:
              mic: nowhere
            """)
        #expect(problems == [
            "g.yaml: missing tap 'party-mix' (plugins such as the recorder attach there)",
            "g.yaml:2:1: unknown key 'nodez' (did you mean 'nodes'?)",
            "g.yaml:4:49: nodes.mic: audiotestsrc.wave: 'squeal' is not one of sine, square, saw, triangle, silence, white-noise, pink-noise, sine-table, ticks, gaussian-noise, red-noise, blue-noise, violet-noise",
            "g.yaml:4:63: nodes.mic: audiotestsrc.freq: expected a number, found 'high'",
            "g.yaml:5:20: nodes.enc: unknown element 'opusenx' (did you mean 'opusenc'?)",
            "g.yaml:6:52: nodes.out: element 'autoaudiosink' has no property 'volume'",
            "g.yaml:7:45: nodes.fx: volume.volume: 99.0 is out of range 0.0…10.0",
            "g.yaml:9:26: links: 'autoaudiosink' has no output, so it cannot be linked to 'volume'",
            "g.yaml:10:5: links: 'ghost' is neither a node of this graph nor an element",
            "g.yaml:12:8: taps.mic: no node 'nowhere'",
        ])
    }

    @Test("YAML that cannot be read is one diagnostic at the place libyaml stopped")
    func syntax() throws {
        #expect {
            _ = try GraphParser().parse(text: "graph: x\nnodes: [\n", file: "g.yaml")
        } throws: { error in
            "\(error)".hasPrefix("g.yaml:3:1: YAML syntax")
        }
    }

    @Test("variables take config values, else their defaults; one with neither is an error")
    func variables() throws {
        let text = """
            graph: v
            nodes:
              mic: { element: "${audio.input:-audiotestsrc}", props: { freq: "${test.tone:-440}" } }
              mix: { element: audiomixer }
              out: { element: "${audio.output}" }
            links:
              - mic ! mix ! out
            taps: { party-mix: mix }
            """
        let (spec, problems) = try check(text, variables: ["audio.output": "fakesink", "test.tone": "660"])
        #expect(problems.isEmpty, "\(problems)")
        #expect(spec.node("mic")?.element == "audiotestsrc")
        #expect(spec.node("mic")?.properties.first?.value == "660")
        #expect(spec.node("out")?.element == "fakesink")
        let (_, missing) = try check(text)
        #expect(missing.contains { $0.contains("variable 'audio.output' has no value and no default") })
    }

    @Test("the per-peer tap must name an element of the receive chain")
    func peerTap() throws {
        let (_, problems) = try check(
            """
            graph: p
            nodes: { mix: { element: audiomixer }, out: { element: fakesink } }
            links: [ "mix ! out" ]
            peer:
              webrtc: { bundle-policy: max-bundle, latency: 40, stun-server: 7 }
              receive: rtpopusdepay ! opusdec ! mix
              tap: level
            taps: { party-mix: mix }
            """)
        #expect(problems.contains { $0.contains("peer.tap: no element named 'level' in peer.receive") })
        #expect(problems.contains { $0.contains("peer.webrtc") } == false || problems.allSatisfy { !$0.contains("has no property") })
    }

    @Test("dot draws nodes, chain elements, caps, the peer template and taps")
    func dot() throws {
        let text = try String(contentsOf: Self.pipelines.appendingPathComponent("party-voice.yaml"), encoding: .utf8)
        let (spec, _) = try GraphParser().parse(text: text, file: "party-voice.yaml")
        let dot = GraphDot.render(spec)
        #expect(dot.hasPrefix("digraph \"party-voice\" {"))
        #expect(dot.contains("\"enc\" [shape=box, label=\"enc\\nopusenc"))
        #expect(dot.contains("cluster_peer"))
        #expect(dot.contains("\"mix\" -> \"tap:party-mix\" [style=dashed];"))
    }
}
