import Foundation

/// The `.sdp` file a graph's `sdp:` entry asks for: what its `udpsink` node sends (Opus RTP to host:port), so
/// ffmpeg, VLC and OBS's Media Source can open the stream (`ffmpeg -protocol_whitelist file,udp,rtp -i obs.sdp`).
public enum SessionFile {
    /// The SDP text for udpsink node `node` of `spec`; throws when the node is not fed by an Opus payloader.
    public static func text(for node: String, in spec: GraphSpec) throws -> String {
        guard let sink = spec.node(node), sink.element == "udpsink" else { throw GraphError("sdp.\(node): no udpsink node '\(node)'") }
        func value(_ properties: [GraphSpec.Property], _ name: String) -> String? { properties.first { $0.name == name }?.value }
        let host = value(sink.properties, "host") ?? "localhost"
        let port = Int(value(sink.properties, "port") ?? "5004") ?? 5004
        // The payloader is the Opus RTP element in the chain that ends in the sink.
        var payloadType: Int?
        for chain in spec.links where chain.items.last.map({ $0.0 == .node(node) }) == true {
            for (item, _) in chain.items.reversed() {
                switch item {
                case .node(let name) where spec.node(name)?.element == "rtpopuspay":
                    payloadType = Int(value(spec.node(name)?.properties ?? [], "pt") ?? "96") ?? 96
                case .element("rtpopuspay", let properties):
                    payloadType = Int(value(properties, "pt") ?? "96") ?? 96
                default: continue
                }
                break
            }
        }
        guard let payloadType else {
            throw GraphError("sdp.\(node): the chain into '\(node)' has no rtpopuspay (only Opus RTP is described)")
        }
        let family = host.contains(":") ? "IP6" : "IP4"
        return """
            v=0\r
            o=- 0 0 IN \(family) \(host)\r
            s=PartyBus party mix\r
            c=IN \(family) \(host)\r
            t=0 0\r
            m=audio \(port) RTP/AVP \(payloadType)\r
            a=rtpmap:\(payloadType) opus/48000/2\r
            a=recvonly\r

            """
    }

    /// Writes every `sdp:` file of `spec`; returns their paths.
    @discardableResult
    public static func writeAll(_ spec: GraphSpec) throws -> [String] {
        try spec.sdp.map { entry in
            let text = try text(for: entry.node, in: spec)
            do {
                try text.write(toFile: entry.file, atomically: true, encoding: .utf8)
            } catch {
                throw GraphError("sdp.\(entry.node): cannot write \(entry.file): \(error.localizedDescription)")
            }
            return entry.file
        }
    }
}
