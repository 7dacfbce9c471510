/// The launch description of one WebRTC peer's bin, made from a graph's per-peer template: an optional send
/// branch (the mic's RTP re-payloaded at the peer's Opus payload type into webrtcbin, on the mic's thread), webrtcbin with the template's
/// properties, and an optional receive branch (the template's receive chain with element names suffixed by the
/// peer id, then the meter: a thread-less `identity` whose src pad runs the speaking detector). The bin's `sink` ghost pad takes the graph's `mic` tap; its `src` ghost pad goes
/// to the node that ends the receive chain (the mixer).
struct PeerBinDescription: Sendable, Equatable {
    /// The launch text.
    var text: String
    /// The element the `sink` ghost pad targets (nil without a send branch).
    var sendEntry: String?
    /// The element the `src` ghost pad comes from (nil without a receive branch).
    var receiveExit: String?
    /// The graph node the receive branch feeds (the mixer).
    var receiveTarget: String?
    /// The webrtcbin's name.
    var webrtc: String
    /// The per-peer volume element (`<tap>_<peer>`), for per-member volume.
    var volume: String?
    /// The per-peer meter (an `identity` carrying the speaking detector's probe; taps and captures attach there).
    var meter: String?
    /// The Opus RTP payload type the peer's offer uses (ours when we offer).
    var payloadType: Int
    /// The queue that starts the per-peer output (`peer.output`), ended before the bin is torn down.
    var outputEntry: String? = nil

    /// The description for peer `suffix` of `spec`; `send`/`receive` say which branches to build. With a
    /// `peer.output` chain the receive branch ends in a tee feeding both the mixer and that output (placeholders
    /// filled with the peer's suffix and `slot`).
    static func make(spec: GraphSpec, suffix: String, payloadType: Int, send: Bool, receive: Bool, slot: Int = 0) -> PeerBinDescription {
        let webrtc = "webrtc_\(suffix)"
        let props = (spec.peer?.webrtc ?? []).map(LaunchDescription.assignment)
        var parts: [String] = []
        var sendEntry: String?
        if send {
            // No queue: the mic's thread sends to every peer (send_gate_shim.h). The thread-less `identity` is where
            // the gate holds the branch closed until the peer's DTLS is done.
            sendEntry = "sendgate_\(suffix)"
            parts.append(
                "identity name=\(sendEntry!) signal-handoffs=false silent=true ! rtpopusdepay ! rtpopuspay pt=\(payloadType) "
                    + "! application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=\(payloadType) ! "
                    + ([("webrtcbin name=\(webrtc)")] + props).joined(separator: " "))
        } else {
            parts.append((["webrtcbin name=\(webrtc)"] + props).joined(separator: " "))
        }
        var exit: String?, target: String?, volume: String?, meter: String?, outputEntry: String?
        if receive, let chain = spec.peer?.receive, let rendered = LaunchDescription.receiveChain(chain, spec: spec, suffix: suffix) {
            meter = "meter_\(suffix)"
            exit = meter
            target = rendered.target
            volume = spec.peer?.tap.map { "\($0)_\(suffix)" }
            // No queue after webrtcbin: its src pad is pushed by the jitterbuffer's own thread already; a queue here was
            // one more thread and hand-over per packet and peer (measured: `bench voice`, csw/s). The identity (no
            // thread, no copy) names the point where the peer's RTP leaves webrtcbin, for the voice taps' probe.
            parts.append(
                "\(webrtc). ! identity name=rtpin_\(suffix) signal-handoffs=false silent=true ! \(rendered.text) ! identity name=\(meter!) signal-handoffs=false silent=true")
            if let output = spec.peer?.output,
                let text = LaunchDescription.outputChain(PeerPlaceholders.fill(output, peer: suffix, slot: slot), spec: spec, suffix: suffix)
            {
                // The meter feeds a tee: one branch to the mixer (the bin's `src`), one to the per-peer output.
                let split = "outsplit_\(suffix)", toMix = "mixq_\(suffix)"
                parts[parts.count - 1] += " ! tee name=\(split) ! queue name=\(toMix)"
                parts.append("\(split). ! queue name=outq_\(suffix) leaky=downstream max-size-time=1000000000 ! \(text)")
                exit = toMix
                outputEntry = "outq_\(suffix)"
            }
        }
        return PeerBinDescription(
            text: parts.joined(separator: "  "), sendEntry: sendEntry, receiveExit: exit, receiveTarget: target,
            webrtc: webrtc, volume: volume, meter: meter, payloadType: payloadType, outputEntry: outputEntry)
    }
}
