/// Our offers in the shape the PlayStation app writes its own (psn-protocol.md D.4): Opus as `opus/16000/2` with
/// `a=fmtp:<pt> minptime=10;stereo=0;useinbandfec=1` and `a=ptime:40`, media sections numbered `0`, `1` … (their
/// `a=mid` lines and the `a=group:BUNDLE` line). Only attributes change; ICE, DTLS, candidates and the sections
/// themselves stay webrtcbin's.
public enum AppShapedSDP {
    /// The app's Opus parameters.
    public static let opusFormat = "minptime=10;stereo=0;useinbandfec=1"

    /// `text` (an offer webrtcbin made) in the app's shape.
    public static func offer(_ text: String) -> String {
        var lines = text.split(omittingEmptySubsequences: true) { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }.map(String.init)
        let mids = renumberedMids(lines)
        lines = lines.map { line in
            if line.hasPrefix("a=mid:"), let mid = mids[String(line.dropFirst("a=mid:".count))] { return "a=mid:\(mid)" }
            if line.hasPrefix("a=group:BUNDLE ") {
                let members = line.dropFirst("a=group:BUNDLE ".count).split(separator: " ").map { mids[String($0)] ?? String($0) }
                return "a=group:BUNDLE " + members.joined(separator: " ")
            }
            return line
        }
        return shapeOpus(lines).map { $0 + "\r\n" }.joined()
    }

    /// Old mid → section index, for every media section that has a mid.
    static func renumberedMids(_ lines: [String]) -> [String: String] {
        var mids: [String: String] = [:]
        var section = -1
        for line in lines {
            if line.hasPrefix("m=") { section += 1 }
            if section >= 0, line.hasPrefix("a=mid:") { mids[String(line.dropFirst("a=mid:".count))] = String(section) }
        }
        return mids
    }

    /// The audio section's Opus written as the app does: rtpmap at 16000, the app's fmtp right after it, ptime 40.
    static func shapeOpus(_ lines: [String]) -> [String] {
        guard let payload = opusPayloadType(lines) else { return lines }
        var out: [String] = []
        var inAudio = false, sawPtime = false
        func closeAudio() { if inAudio && !sawPtime { out.append("a=ptime:40") } }
        for line in lines {
            if line.hasPrefix("m=") {
                closeAudio()
                inAudio = line.hasPrefix("m=audio ")
                sawPtime = false
                out.append(line)
            } else if inAudio && line.hasPrefix("a=rtpmap:\(payload) ") {
                out.append("a=rtpmap:\(payload) opus/16000/2")
                out.append("a=fmtp:\(payload) \(opusFormat)")
            } else if inAudio && line.hasPrefix("a=fmtp:\(payload) ") {
                continue
            } else if inAudio && line.hasPrefix("a=ptime:") {
                sawPtime = true
                out.append("a=ptime:40")
            } else {
                out.append(line)
            }
        }
        closeAudio()
        return out
    }

    /// The payload type of the first audio section's Opus `a=rtpmap`.
    static func opusPayloadType(_ lines: [String]) -> Int? {
        var inAudio = false
        for line in lines {
            if line.hasPrefix("m=") { inAudio = line.hasPrefix("m=audio ") }
            guard inAudio, line.hasPrefix("a=rtpmap:") else { continue }
            let parts = line.dropFirst("a=rtpmap:".count).split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[1].lowercased().hasPrefix("opus/"), let pt = Int(parts[0]) { return pt }
        }
        return nil
    }

    /// The mid of the first audio section (what `miranda:12`'s `media_records[].mid` names), or nil.
    public static func audioMid(_ text: String) -> String? {
        var inAudio = false
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            if line.hasPrefix("m=") { inAudio = line.hasPrefix("m=audio ") }
            if inAudio, line.hasPrefix("a=mid:") { return String(line.dropFirst("a=mid:".count)) }
        }
        return nil
    }
}
