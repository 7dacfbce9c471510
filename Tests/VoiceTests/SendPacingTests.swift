import CGStreamer
import Foundation
import PartyBusTestSupport
import Testing
@testable import Voice

/// webrtcbin paces RTP with a `clocksync` per send stream; with a live mic that only adds a clock wait per packet and
/// peer, so a graph whose mic is live turns it off (pacing_shim.h).
@Suite("Send pacing", .serialized)
struct SendPacingTests {
    @Test("a live source upstream is told from a non-live one")
    func liveness() throws {
        for (live, expected) in [("true", 1), ("false", 0)] {
            // Parsed under the registry's lock, as the product parses: a parse racing another suite's first plugin
            // loads found no "opusenc".
            let pipeline = try #require(GStreamerRegistry.withRegistry {
                var error: UnsafeMutablePointer<GError>?
                return gst_parse_launch(
                    "audiotestsrc is-live=\(live) num-buffers=200 ! audioconvert ! opusenc frame-size=40 ! rtpopuspay ! tee name=send ! fakesink sync=false",
                    &error)
            })
            defer {
                gst_element_set_state(pipeline, GST_STATE_NULL)
                pb_object_unref(pipeline)
            }
            gst_element_set_state(pipeline, GST_STATE_PLAYING)
            _ = gst_element_get_state(pipeline, nil, nil, 5 * 1_000_000_000)
            #expect(pb_upstream_is_live(pipeline, "send") == Int32(expected), "is-live=\(live)")
        }
    }

    @Test("with a live mic every clocksync in the peer's webrtcbin stops pacing, and both sides still hear each other")
    func livePeerIsUnpaced() async throws {
        let dir = try TemporaryDirectory()
        let (a, b) = try await WebRTCPeerTests.connectedPair(in: dir)
        try await Task.sleep(for: .seconds(3))
        let pacingA = try #require(a.sendPacing(of: "b")), pacingB = try #require(b.sendPacing(of: "a"))
        await a.finish()
        await b.finish()
        #expect(pacingA.stages >= 1 && pacingB.stages >= 1, "webrtcbin has its clocksync stages (\(pacingA), \(pacingB))")
        #expect(pacingA.paced == 0 && pacingB.paced == 0, "none paces with a live mic (\(pacingA), \(pacingB))")
        let heardByA = try AudioAnalysis.tail(dir.path("a.wav"), 440), heardByB = try AudioAnalysis.tail(dir.path("b.wav"), 660)
        let unusedA = try AudioAnalysis.tail(dir.path("a.wav"), 990), unusedB = try AudioAnalysis.tail(dir.path("b.wav"), 990)
        #expect(heardByA > 1e-4 && heardByA > 20 * unusedA, "A hears B's 440 Hz (\(heardByA); unused 990 Hz \(unusedA))")
        #expect(heardByB > 1e-4 && heardByB > 20 * unusedB, "B hears A's 660 Hz (\(heardByB); unused 990 Hz \(unusedB))")
    }
}
