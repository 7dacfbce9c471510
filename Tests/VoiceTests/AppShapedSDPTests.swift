import Foundation
import Testing
import Voice

/// Our offers rewritten into the PlayStation app's shape (psn-protocol.md D.4); no GStreamer needed.
@Suite("App-shaped offers")
struct AppShapedSDPTests {
    /// What webrtcbin 1.22 offers with a send branch at payload type 96 and a data channel (max-bundle).
    static let webrtcbinOffer = [
        "v=0", "o=- 1 0 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=ice-options:trickle", "a=group:BUNDLE audio0 application1",
        "m=audio 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", "a=setup:actpass", "a=ice-ufrag:u", "a=ice-pwd:p",
        "a=rtcp-mux", "a=rtcp-rsize", "a=sendrecv", "a=rtpmap:96 OPUS/48000/2", "a=rtcp-fb:96 transport-cc",
        "a=fmtp:96 sprop-stereo=0", "a=ssrc:1 cname:x", "a=mid:audio0", "a=fingerprint:sha-256 AA:BB",
        "a=candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host",
        "m=application 0 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", "a=bundle-only", "a=setup:actpass",
        "a=mid:application1", "a=sctp-port:5000", "a=ice-ufrag:u", "a=ice-pwd:p", "a=fingerprint:sha-256 AA:BB",
    ].map { $0 + "\r\n" }.joined()

    @Test("Opus as opus/16000/2 with the app's fmtp and ptime, mids 0 and 1; ICE, DTLS and candidates kept")
    func offerShape() throws {
        let shaped = AppShapedSDP.offer(Self.webrtcbinOffer)
        let lines = shaped.components(separatedBy: "\r\n")
        #expect(lines.contains("a=group:BUNDLE 0 1"))
        #expect(lines.contains("a=mid:0") && lines.contains("a=mid:1"))
        #expect(!shaped.contains("audio0") && !shaped.contains("application1"))
        let rtpmap = try #require(lines.firstIndex(of: "a=rtpmap:96 opus/16000/2"))
        #expect(lines[rtpmap + 1] == "a=fmtp:96 minptime=10;stereo=0;useinbandfec=1")
        #expect(lines.filter { $0.hasPrefix("a=fmtp:96") }.count == 1)
        #expect(lines.filter { $0 == "a=ptime:40" }.count == 1)
        // ptime belongs to the audio section, before the data section starts.
        #expect(lines.firstIndex(of: "a=ptime:40")! < lines.firstIndex { $0.hasPrefix("m=application") }!)
        for kept in ["a=setup:actpass", "a=sctp-port:5000", "a=fingerprint:sha-256 AA:BB", "a=ice-ufrag:u",
                     "a=candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host", "a=sendrecv", "a=ssrc:1 cname:x"] {
            #expect(lines.contains(kept), "kept \(kept)")
        }
        #expect(shaped.hasSuffix("\r\n") && !shaped.contains("\r\n\r\n"))
        // What webrtcbin is later given back (the answer) reads Opus at 48000 again.
        let parsed = try SessionDescription(shaped)
        #expect(parsed.opusPayloadType == 96 && parsed.opusClockRate == 16000)
        #expect(AppShapedSDP.audioMid(shaped) == "0")
    }

    @Test("an offer without Opus only gets its mids renumbered")
    func noOpus() {
        let pcmu = Self.webrtcbinOffer.replacingOccurrences(of: "OPUS/48000/2", with: "PCMU/8000")
        let shaped = AppShapedSDP.offer(pcmu)
        #expect(shaped.contains("a=rtpmap:96 PCMU/8000") && !shaped.contains("a=ptime:40") && shaped.contains("a=mid:0"))
    }
}
