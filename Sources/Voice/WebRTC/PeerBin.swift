import CGStreamer
import Dispatch
import Foundation
import Synchronization

/// One WebRTC peer inside a running graph: its bin (send branch, webrtcbin, receive branch), linked to the mic tee
/// and the mixer through ghost pads. Its methods block and run on dispatch threads.
final class PeerBin: @unchecked Sendable {
    let peer: String
    let description: PeerBinDescription
    let bin: UnsafeMutablePointer<GstElement>
    let webrtc: UnsafeMutablePointer<GstElement>
    let bridge: CallbackBridge
    /// The Opus clock rate of the remote offer (16000 from PSN), so the answer is written back in it.
    private let clock = Mutex<Int>(48000)
    var remoteClockRate: Int {
        get { clock.withLock { $0 } }
        set { clock.withLock { $0 = newValue } }
    }
    var payloadType: Int { description.payloadType }
    var sends: Bool { description.sendEntry != nil }
    /// Every blocking call on this peer (negotiation steps, removal) runs here, one after the other: tearing the
    /// bin down while webrtcbin still works on a promise for it would dispose elements that are still playing.
    let queue: DispatchQueue

    /// Builds the bin (counted in `count` until GStreamer finalizes it).
    init(peer: String, description: PeerBinDescription, settings: PeerSettings, bridge: CallbackBridge,
         count: PeerBinCount, speaking: SpeakingThresholds = .init(), unpaced: Bool = false) throws {
        self.peer = peer
        self.description = description
        self.bridge = bridge
        queue = DispatchQueue(label: "partybus.voice.peer.\(peer)")
        var message: UnsafeMutablePointer<CChar>?
        let built = GStreamerRegistry.withRegistry { pb_parse_bin(description.text, "peer_\(description.webrtc)", &message) }
        guard let built else {
            defer { g_free(message) }
            throw VoiceError("cannot build peer \(peer): \(message.map { String(cString: $0) } ?? "unknown error")")
        }
        bin = built
        guard let webrtc = pb_bin_child(bin, description.webrtc) else {
            pb_object_unref(bin)
            throw VoiceError("peer \(peer): the bin has no webrtcbin")
        }
        self.webrtc = webrtc
        count.track(bin: built, webrtc: webrtc)
        // An ECDSA certificate for DTLS (one per process), so ECDSA-only DTLS clients can connect when we offer and
        // webrtcbin is the DTLS server; without one (OpenSSL failed) webrtcbin keeps its own RSA certificate.
        _ = pb_webrtc_use_ecdsa_certificate(webrtc)
        // A live mic already paces its RTP: webrtcbin's clocksync would only add a clock wait per packet (pacing_shim.h).
        if unpaced { pb_webrtc_send_unpaced(webrtc) }
        // No UPnP: libnice would multicast SSDP out of every interface and ask the router to open ports, per peer.
        _ = pb_webrtc_disable_upnp(webrtc)
        if let stun = settings.stunServer { pb_webrtc_set_stun(webrtc, stun) }
        for address in settings.localAddresses { _ = pb_webrtc_add_local_address(webrtc, address) }
        connectICEState(webrtc, bridge: bridge)
        // The mic's thread pushes into the send branch: it stays closed until DTLS is done (send_gate_shim.h).
        if let entry = description.sendEntry, pb_send_gate_install(bin, entry, webrtc) == 0 {
            throw VoiceError("peer \(peer): cannot gate the send branch")
        }
        if let meter = description.meter, let element = pb_bin_child(bin, meter) {
            connectFirstBuffer(element, bridge: bridge)
            pb_object_unref(element)
            // The speaking indicator runs on the streaming thread; only its changes come on the bus.
            speaking.attach(to: bin, element: meter)
        }
    }

    deinit {
        // Never let the last reference go while anything inside still plays; stopping it blocks, so it happens on
        // the teardown queue, not on the thread that dropped the last reference.
        let elements = BinElements(bin: bin, webrtc: webrtc)
        GStreamerThreads.release {
            pb_object_unref(elements.webrtc)
            pb_force_null(elements.bin)
            pb_object_unref(elements.bin)
            // The peer's threads and buffers are gone: their freed memory goes back to the kernel now, rather than
            // staying in the arenas as holes (measured: `bench soak`, docs/voice.md "Soak").
            pb_release_free_heap()
        }
    }

    private struct BinElements: @unchecked Sendable {
        let bin: UnsafeMutablePointer<GstElement>
        let webrtc: UnsafeMutablePointer<GstElement>
    }

    /// Ghosts the bin's ends, adds it to the pipeline, links it to the mic tee and the mixer and brings it to the
    /// pipeline's state. On failure the bin is taken out again.
    func attach(to pipeline: UnsafeMutablePointer<GstElement>, micTap: String?) throws {
        let sendEntry = micTap == nil ? nil : description.sendEntry
        if let entry = sendEntry, pb_bin_ghost(bin, entry, "sink", "sink") == 0 {
            throw VoiceError("peer \(peer): cannot expose the send branch")
        }
        if let exit = description.receiveExit, pb_bin_ghost(bin, exit, "src", "src") == 0 {
            throw VoiceError("peer \(peer): cannot expose the receive branch")
        }
        guard pb_bin_add(pipeline, bin) != 0 else { throw VoiceError("peer \(peer): cannot add its bin to the graph") }
        do {
            // Playing before it is linked: a buffer the running mic tee pushes into a bin still in NULL comes back
            // FLUSHING, and that stops the mic's streaming thread for every peer, for good.
            guard pb_sync_state(bin) != 0 else { throw VoiceError("peer \(peer): its bin would not start") }
            if sendEntry != nil, let micTap, pb_link_from_request(pipeline, micTap, bin, "sink") == 0 {
                throw VoiceError("peer \(peer): cannot link the mic tap '\(micTap)' to the peer")
            }
            if let target = description.receiveTarget, pb_link_to_request(bin, "src", pipeline, target) == 0 {
                throw VoiceError("peer \(peer): cannot link the receive branch to '\(target)'")
            }
        } catch {
            pb_bin_remove(pipeline, bin)
            throw error
        }
    }

    /// Waits (at most `limit`) until the send branch's caps have reached webrtcbin, so its transceiver is known to
    /// be audio before an offer is matched against it or our offer is written. Returns false on timeout.
    @discardableResult
    func waitForSendCaps(atMost limit: Duration = .seconds(1)) -> Bool {
        guard sends else { return true }
        let deadline = ContinuousClock.now + limit
        while pb_webrtc_sink_caps_ready(webrtc) == 0 {
            if ContinuousClock.now >= deadline { return false }
            usleep(2_000)
        }
        return true
    }

    /// Applies a description and waits for webrtcbin to accept it.
    func setDescription(remote: Bool, offer: Bool, text: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard pb_webrtc_set_description(webrtc, remote ? 1 : 0, offer ? 1 : 0, text, &error) != 0 else {
            defer { g_free(error) }
            throw VoiceError("peer \(peer): \(remote ? "remote" : "local") \(offer ? "offer" : "answer") refused: \(error.map { String(cString: $0) } ?? "?")")
        }
    }

    /// Creates our offer or answer and sets it as the local description.
    func createLocal(offer: Bool) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard pb_webrtc_create_local(webrtc, offer ? 1 : 0, &error) != 0 else {
            defer { g_free(error) }
            throw VoiceError("peer \(peer): cannot create the \(offer ? "offer" : "answer"): \(error.map { String(cString: $0) } ?? "?")")
        }
    }

    /// A receive-only audio transceiver, so an offer from a graph without a send branch still has audio.
    func addReceiveOnlyTransceiver(payloadType: Int) throws {
        let caps = "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=\(payloadType)"
        guard pb_webrtc_add_recvonly_transceiver(webrtc, caps) != 0 else { throw VoiceError("peer \(peer): cannot add a transceiver") }
    }

    /// Opens a data channel on webrtcbin (PS apps' offers have a data section; see `PeerSettings.dataChannel`).
    func createDataChannel(label: String = "partybus") throws {
        guard pb_webrtc_create_data_channel(webrtc, label) != 0 else { throw VoiceError("peer \(peer): cannot open a data channel") }
    }

    /// Waits for ICE gathering to complete (or the timeout), then returns the local SDP with its candidates, Opus
    /// written at the remote clock rate and candidates limited as the settings say.
    func completeLocalSDP(settings: PeerSettings) throws -> String {
        let deadline = ContinuousClock.now + settings.gatheringTimeout
        while pb_enum_property(webrtc, "ice-gathering-state") != 2 /* complete */, ContinuousClock.now < deadline {
            usleep(5_000)
        }
        guard let raw = pb_webrtc_local_sdp(webrtc) else { throw VoiceError("peer \(peer): no local description") }
        var text = String(cString: raw)
        g_free(raw)
        text = SessionDescription.rewriteOpusClock(text, payloadType: payloadType, from: 48000, to: remoteClockRate)
        if let fingerprint = Self.ecdsaFingerprint { text = SessionDescription.replacingFingerprint(text, with: fingerprint) }
        text = SessionDescription.keepingCandidates(text, on: settings.localAddresses)
        if let limit = settings.hostCandidateLimit { text = SessionDescription.keepingHostCandidates(text, limit: limit) }
        guard text.contains("a=candidate:") else {
            throw VoiceError("peer \(peer): ICE gathered no candidate within \(settings.gatheringTimeout) (no usable address; loopback-only hosts need 127.0.0.1 added)")
        }
        return text
    }

    /// The fingerprint of the process's ECDSA DTLS certificate (nil when there is none and webrtcbin keeps RSA).
    static let ecdsaFingerprint: String? = {
        guard let raw = pb_dtls_ecdsa_fingerprint() else { return nil }
        defer { g_free(raw) }
        return String(cString: raw)
    }()

    /// Unlinks and stops the bin and takes it out of the pipeline. A per-peer output gets end-of-stream first (up
    /// to 1 s), so its file is complete.
    func remove(from pipeline: UnsafeMutablePointer<GstElement>) {
        if let entry = description.outputEntry { _ = pb_finish_branch(bin, entry, 1000) }
        // Between two of the mic's pushes: a push caught by the bin's stop would answer FLUSHING to the mic's tee.
        if sends { pb_unlink_sink_when_idle(bin, "sink", 1000) }
        pb_bin_remove(pipeline, bin)
    }
}
