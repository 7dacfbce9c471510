/// ICE and DTLS parameters of one bridge peer, generated fresh per peer (H 12).
struct BridgePeerCredentials: Sendable, Equatable {
    /// `a=ice-ufrag` (8 characters; RFC 8839 needs at least 4).
    var iceUfrag: String
    /// `a=ice-pwd` (24 characters; RFC 8839 needs at least 22).
    var icePwd: String
    /// `a=fingerprint:sha-256` value: 32 random bytes as colon-separated uppercase hex (no real certificate).
    var fingerprint: String
    /// UDP port of the host candidate and both m-lines (bundled).
    var port: Int
    /// Candidate foundation.
    var foundation: String
    /// Numeric `o=` session id.
    var originId: String

    static func generate(_ ids: inout IdentifierFactory) -> BridgePeerCredentials {
        let hex = Array("0123456789ABCDEF")
        let fingerprint = (0..<32).map { _ in ids.string(length: 2, alphabet: hex) }.joined(separator: ":")
        let port = 50_000 + (Int(ids.string(length: 4, alphabet: Array("0123456789"))) ?? 0)
        return BridgePeerCredentials(
            iceUfrag: ids.string(length: 8, alphabet: IdentifierFactory.alphanumeric),
            icePwd: ids.string(length: 24, alphabet: IdentifierFactory.alphanumeric),
            fingerprint: fingerprint,
            port: port,
            foundation: "1" + ids.string(length: 9, alphabet: Array("0123456789")),
            originId: "1" + ids.string(length: 18, alphabet: Array("0123456789")))
    }
}

/// The bridge offer SDP of psn-protocol.md C.8 (every listed line, in order, CRLF endings) and the answer checks
/// of C.5 / H 12.
enum BridgeSDP {
    /// Priority of the bridge's single host candidate.
    static let hostPriority = "2122260223"

    /// Builds the C.8 offer. `version` is the `o=` session version: 2 for the first offer, +1 per re-offer (C.4).
    static func offer(_ c: BridgePeerCredentials, mediaIP: String, version: Int) -> String {
        let lines = [
            "v=0",
            "o=- \(c.originId) \(version) IN IP4 127.0.0.1",
            "s=-",
            "t=0 0",
            "a=group:BUNDLE 0 1",
            "m=audio \(c.port) UDP/TLS/RTP/SAVPF 111 13",
            "c=IN IP4 \(mediaIP)",
            "a=candidate:\(c.foundation) 1 udp \(hostPriority) \(mediaIP) \(c.port) typ host",
            "a=ice-ufrag:\(c.iceUfrag)",
            "a=ice-pwd:\(c.icePwd)",
            "a=fingerprint:sha-256 \(c.fingerprint)",
            "a=setup:actpass",
            "a=mid:0",
            "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            "a=extmap:2 urn:uuid:84a86fab-a84f-4d61-b376-2ee79d2b67d2#sie:rtp-hdrext:rtp-payload-signature",
            "a=recvonly",
            "a=rtcp-mux",
            "a=rtpmap:111 opus/16000/2",
            "a=fmtp:111 minptime=10;stereo=0;useinbandfec=1",
            "a=rtpmap:13 CN/8000",
            "a=ptime:40",
            "m=application \(c.port) UDP/DTLS/SCTP webrtc-datachannel",
            "c=IN IP4 \(mediaIP)",
            "a=mid:1",
            "a=sctp-port:5000",
        ]
        return lines.map { $0 + "\r\n" }.joined()
    }

    /// Attributes an answer must carry (C.5), in the order they are reported.
    static let requiredAnswerAttributes = ["a=fingerprint", "a=ice-ufrag", "a=ice-pwd", "a=candidate"]

    /// Why an answer SDP was refused.
    enum AnswerProblem: Equatable {
        /// Not an SDP: must start with `v=0` and every line must be `<letter>=<value>`.
        case unparseable
        /// Parseable but without these attributes (in `requiredAnswerAttributes` order).
        case missing([String])
    }

    /// Checks an answer SDP (C.5); `nil` when acceptable. CRLF and bare LF line endings are both accepted.
    static func checkAnswer(_ sdp: String) -> AnswerProblem? {
        let lines = sdp.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
            .map(String.init)
        guard lines.first == "v=0" else { return .unparseable }
        for line in lines {
            let bytes = Array(line.utf8)
            guard bytes.count >= 2, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[0]),
                bytes[1] == UInt8(ascii: "=")
            else { return .unparseable }
        }
        let missing = requiredAnswerAttributes.filter { attribute in
            !lines.contains { $0.hasPrefix(attribute + ":") }
        }
        return missing.isEmpty ? nil : .missing(missing)
    }
}
