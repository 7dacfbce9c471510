/// SDP rewrites that make webrtcbin's descriptions look like the ones PSN apps and the rtcBridge send
/// (psn-protocol.md C.8, D.4). Only attributes change; ICE credentials, fingerprints and candidates stay webrtcbin's.
enum PSNSessionDescriptions {
    /// The Opus line as PSN apps write it, `opus/<clockRate>/2` (16000 on PSN), whatever clock rate and spelling
    /// webrtcbin wrote (it writes `OPUS/48000/2`).
    static func opus(_ sdp: String, clockRate: Int = 16000) -> String {
        let lines = split(sdp)
        let payload = opusPayloadType(lines)
        return join(lines.map { line in
            guard let payload, line.hasPrefix("a=rtpmap:\(payload) ") else { return line }
            return "a=rtpmap:\(payload) opus/\(clockRate)/2"
        })
    }

    /// The rtcBridge offer shape of C.8: Opus as `opus/16000/2` with `a=fmtp:<pt> minptime=10;stereo=0;useinbandfec=1`,
    /// the audio section `a=recvonly`, and `a=ptime:40`.
    static func bridgeOffer(_ sdp: String) -> String {
        let lines = split(sdp)
        guard let payload = opusPayloadType(lines) else { return sdp }
        var out: [String] = []
        var inAudio = false
        var sawPtime = false
        func closeAudio() {
            if inAudio && !sawPtime { out.append("a=ptime:40") }
        }
        for line in lines {
            if line.hasPrefix("m=") {
                closeAudio()
                inAudio = line.hasPrefix("m=audio ")
                sawPtime = false
                out.append(line)
                continue
            }
            guard inAudio else {
                out.append(line)
                continue
            }
            if line.hasPrefix("a=rtpmap:\(payload) ") {
                out.append("a=rtpmap:\(payload) opus/16000/2")
                out.append("a=fmtp:\(payload) minptime=10;stereo=0;useinbandfec=1")
            } else if line.hasPrefix("a=fmtp:\(payload) ") {
                continue
            } else if ["a=sendrecv", "a=sendonly", "a=inactive"].contains(line) {
                out.append("a=recvonly")
            } else {
                if line.hasPrefix("a=ptime:") { sawPtime = true }
                out.append(line)
            }
        }
        closeAudio()
        return join(out)
    }

    /// The payload type of the first Opus `a=rtpmap` line.
    static func opusPayloadType(_ lines: [String]) -> Int? {
        for line in lines where line.hasPrefix("a=rtpmap:") {
            let parts = line.dropFirst("a=rtpmap:".count).split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[1].lowercased().hasPrefix("opus/"), let pt = Int(parts[0]) { return pt }
        }
        return nil
    }

    /// Lines without their endings (CRLF or LF), empty ones dropped.
    static func split(_ sdp: String) -> [String] {
        sdp.split(omittingEmptySubsequences: true) { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }.map(String.init)
    }

    /// CRLF-terminated lines.
    static func join(_ lines: [String]) -> String {
        lines.map { $0 + "\r\n" }.joined()
    }
}
