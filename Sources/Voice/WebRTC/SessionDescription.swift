import Foundation
/// What the voice engine needs to know about an SDP before handing it to webrtcbin, and the Opus clock-rate
/// rewrite PSN needs: PSN apps and the rtcBridge write `opus/16000/2`, while RTP Opus (RFC 7587) and webrtcbin use
/// 48000. Incoming SDPs are read at 48000; answers to a 16000 offer are written back at 16000 (psn-protocol.md C.8).
public struct SessionDescription: Sendable, Equatable {
    /// The SDP text as received (CRLF line endings).
    public let text: String
    /// The Opus payload type of the first audio section.
    public let opusPayloadType: Int
    /// The Opus clock rate the sender wrote (48000, or 16000 for PSN).
    public let opusClockRate: Int
    /// The audio section's direction (`sendrecv`, `recvonly`, `sendonly`, `inactive`).
    public let audioDirection: String
    /// Number of `a=candidate` lines.
    public let candidateCount: Int

    /// Reads an SDP; throws saying what is missing or wrong (line numbers are 1-based).
    public init(_ text: String) throws {
        self.text = text
        let lines = text.split(omittingEmptySubsequences: true) { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }.map(String.init)
        guard let first = lines.first, first == "v=0" else {
            throw VoiceError("SDP line 1: expected \"v=0\", found \"\(lines.first.map { String($0.prefix(40)) } ?? "")\"")
        }
        var inAudio = false
        var audioSeen = false
        var payload: Int?
        var clock = 48000
        var direction = "sendrecv"
        var candidates = 0
        for (index, line) in lines.enumerated() {
            guard line.count >= 2, line.dropFirst().first == "=" else {
                throw VoiceError("SDP line \(index + 1): not a \"x=value\" line: \"\(line.prefix(40))\"")
            }
            if line.hasPrefix("m=") {
                inAudio = line.hasPrefix("m=audio ")
                audioSeen = audioSeen || inAudio
                continue
            }
            if line.hasPrefix("a=candidate:") { candidates += 1 }
            guard inAudio else { continue }
            if ["a=sendrecv", "a=recvonly", "a=sendonly", "a=inactive"].contains(line) {
                direction = String(line.dropFirst(2))
            } else if line.hasPrefix("a=rtpmap:"), payload == nil {
                // a=rtpmap:<pt> opus/<clock>[/<channels>]
                let parts = line.dropFirst("a=rtpmap:".count).split(separator: " ", maxSplits: 1)
                guard parts.count == 2, let pt = Int(parts[0]), (0...127).contains(pt) else {
                    throw VoiceError("SDP line \(index + 1): malformed rtpmap \"\(line.prefix(60))\"")
                }
                let codec = parts[1].split(separator: "/")
                if codec.first?.lowercased() == "opus" {
                    payload = pt
                    if codec.count > 1, let rate = Int(codec[1]) { clock = rate }
                }
            }
        }
        guard audioSeen else { throw VoiceError("SDP has no audio section (m=audio)") }
        guard let payload else { throw VoiceError("SDP's audio section offers no Opus (no a=rtpmap:<pt> opus/…)") }
        opusPayloadType = payload
        opusClockRate = clock
        audioDirection = direction
        candidateCount = candidates
    }

    /// The text as webrtcbin accepts it: Opus at 48000 Hz, and bundled sections given the first section's ICE and
    /// DTLS lines when they lack them (the rtcBridge offer of C.8 writes them only once).
    public var forWebRTCBin: String {
        Self.fillingBundledTransport(Self.rewriteOpusClock(text, payloadType: opusPayloadType, from: opusClockRate, to: 48000))
    }

    /// Copies `a=ice-ufrag`, `a=ice-pwd`, `a=fingerprint` and `a=setup` from the first media section (or the session
    /// level) into later media sections that have none of their own.
    public static func fillingBundledTransport(_ text: String) -> String {
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let keys = ["a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:", "a=setup:"]
        var sections: [[String]] = [[]]
        for line in lines {
            if line.hasPrefix("m=") { sections.append([]) }
            sections[sections.count - 1].append(line)
        }
        guard sections.count > 2 else { return text }
        var shared: [String: String] = [:]
        for key in keys {
            shared[key] = sections[0].first { $0.hasPrefix(key) } ?? sections[1].first { $0.hasPrefix(key) }
        }
        for index in 2..<sections.count {
            var additions: [String] = []
            for key in keys where !sections[index].contains(where: { $0.hasPrefix(key) }) && !sections[0].contains(where: { $0.hasPrefix(key) }) {
                if let line = shared[key] { additions.append(line) }
            }
            var section = sections[index]
            if section.last == "" { section.insert(contentsOf: additions, at: section.count - 1) } else { section += additions }
            sections[index] = section
        }
        return sections.flatMap { $0 }.joined(separator: "\r\n")
    }

    /// `text` (an SDP we made) with Opus at `payloadType` rewritten from `from` Hz to `to` Hz.
    public static func rewriteOpusClock(_ text: String, payloadType: Int, from: Int, to: Int) -> String {
        guard from != to else { return text }
        // Written in lower case, as PSN apps and browsers do (webrtcbin writes OPUS).
        return text.replacingOccurrences(of: "a=rtpmap:\(payloadType) opus/\(from)/", with: "a=rtpmap:\(payloadType) opus/\(to)/")
            .replacingOccurrences(of: "a=rtpmap:\(payloadType) OPUS/\(from)/", with: "a=rtpmap:\(payloadType) opus/\(to)/")
    }

    /// `text` with only the candidates on `addresses` (libnice gathers on other interfaces and over TCP too, even
    /// when told about 127.0.0.1; a loopback-only setup must not offer them).
    public static func keepingCandidates(_ text: String, on addresses: [String]) -> String {
        guard !addresses.isEmpty else { return text }
        return text.split(separator: "\r\n", omittingEmptySubsequences: false).filter { line in
            guard line.hasPrefix("a=candidate:") else { return true }
            let fields = line.split(separator: " ")
            return fields.count > 5 && fields[2].lowercased() == "udp" && addresses.contains(String(fields[4]))
        }.joined(separator: "\r\n")
    }

    /// `text` with every `a=fingerprint:` line saying `fingerprint` ("sha-256 AB:…"): the one of the certificate
    /// our DTLS really uses (see `pb_dtls_ecdsa_fingerprint`).
    public static func replacingFingerprint(_ text: String, with fingerprint: String) -> String {
        text.split(separator: "\r\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("a=fingerprint:") ? "a=fingerprint:\(fingerprint)" : String(line)
        }.joined(separator: "\r\n")
    }

    /// `text` with only its first `limit` host candidates (and no others) in every section (C.6: the app's answer
    /// to the bridge carries exactly one host candidate).
    public static func keepingHostCandidates(_ text: String, limit: Int) -> String {
        var kept = 0
        var out: [Substring] = []
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("a=candidate:") {
                guard line.contains(" typ host"), kept < limit else { continue }
                kept += 1
            }
            out.append(line)
        }
        return out.joined(separator: "\r\n")
    }
}

/// A voice failure the user can act on; the message says what and where.
public struct VoiceError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong.
    public let message: String
    /// Makes an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
