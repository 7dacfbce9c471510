import Foundation
import Testing

@testable import PSNSimulatorMedia

/// The SDP rewrites that give webrtcbin's descriptions PSN's shape (no GStreamer needed).
@Suite("PSN-shaped SDPs")
struct PSNSessionDescriptionTests {
    /// What webrtcbin 1.22 offers from a graph without a send branch (a recvonly transceiver at payload type 111).
    static let recvonlyOffer = [
        "v=0", "o=- 4009802697859255922 0 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=ice-options:trickle",
        "a=group:BUNDLE audio0", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=setup:actpass",
        "a=ice-ufrag:a0dKY4M9fAkbmLt+l+JoCpT4fT7B54pJ", "a=ice-pwd:paA82kpiZV+jim8SKfYEBhFpqJTg1zJD", "a=rtcp-mux",
        "a=rtcp-rsize", "a=recvonly", "a=rtpmap:111 OPUS/48000/2", "a=rtcp-fb:111 transport-cc", "a=mid:audio0",
        "a=fingerprint:sha-256 13:59:B8:20:0F:9D:1C:10:9F:D0:47:9A:59:EE:D8:80:1D:4D:75:FE:46:FF:80:5F:47:3E:D4:7B:86:C1:85:EB",
        "a=candidate:1 1 UDP 2015364095 127.0.0.1 44788 typ host",
    ].map { $0 + "\r\n" }.joined()

    @Test("a bridge offer gets C.8's Opus, fmtp, direction and ptime and keeps webrtcbin's ICE and DTLS lines")
    func bridgeOfferShape() {
        let shaped = PSNSessionDescriptions.bridgeOffer(Self.recvonlyOffer)
        let lines = PSNSessionDescriptions.split(shaped)
        #expect(lines.contains("a=rtpmap:111 opus/16000/2"))
        #expect(lines.firstIndex(of: "a=fmtp:111 minptime=10;stereo=0;useinbandfec=1")
                == lines.firstIndex(of: "a=rtpmap:111 opus/16000/2").map { $0 + 1 })
        #expect(lines.filter { $0.hasPrefix("a=fmtp:") }.count == 1)
        #expect(lines.contains("a=recvonly") && lines.last == "a=ptime:40")
        for kept in ["a=ice-ufrag:a0dKY4M9fAkbmLt+l+JoCpT4fT7B54pJ", "a=ice-pwd:paA82kpiZV+jim8SKfYEBhFpqJTg1zJD",
                     "a=candidate:1 1 UDP 2015364095 127.0.0.1 44788 typ host", "a=setup:actpass"] {
            #expect(lines.contains(kept))
        }
        #expect(shaped.hasSuffix("\r\n") && !shaped.contains("\n\n"))
        let sendrecv = Self.recvonlyOffer.replacingOccurrences(of: "a=recvonly", with: "a=sendrecv")
        #expect(PSNSessionDescriptions.split(PSNSessionDescriptions.bridgeOffer(sendrecv)).contains("a=recvonly"))
    }

    @Test("member SDPs write Opus as PSN apps do, at the clock rate asked for")
    func memberOpusLine() {
        let offer = Self.recvonlyOffer.replacingOccurrences(of: "111", with: "96")
        #expect(PSNSessionDescriptions.opus(offer).contains("a=rtpmap:96 opus/16000/2\r\n"))
        #expect(PSNSessionDescriptions.opus(offer, clockRate: 48000).contains("a=rtpmap:96 opus/48000/2\r\n"))
        #expect(!PSNSessionDescriptions.opus(offer).contains("OPUS"))
    }
}
