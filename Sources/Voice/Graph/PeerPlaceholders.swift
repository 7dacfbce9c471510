import Foundation

/// The per-peer placeholders of a graph's `peer.output` chain, filled in when a peer's bin is built: `%{peer}` is
/// the peer's id as element names allow it, `%{slot}` the lowest number (from 0) no other peer with an output holds,
/// `%{slot+N}` that number plus N (a port per speaker: `localport=%{slot+9720}`), and `%{start}` the UTC time the
/// peer was added (`20261202-013000`), so a member who leaves and rejoins gets a new file instead of overwriting.
public enum PeerPlaceholders {
    /// `text` with every placeholder replaced; an unknown or malformed one is left as written (the element then
    /// refuses the value and says where).
    public static func fill(_ text: String, peer: String, slot: Int, start: String = GraphVariables.timestamp()) -> String {
        var out = ""
        var rest = Substring(text)
        while let opening = rest.range(of: "%{") {
            out += rest[..<opening.lowerBound]
            guard let end = rest[opening.upperBound...].firstIndex(of: "}") else { break }
            let body = rest[opening.upperBound..<end].replacingOccurrences(of: " ", with: "")
            if body == "peer" {
                out += peer
            } else if body == "start" {
                out += start
            } else if body == "slot" {
                out += String(slot)
            } else if body.hasPrefix("slot+"), let offset = Int(body.dropFirst("slot+".count)) {
                out += String(slot + offset)
            } else {
                out += rest[opening.lowerBound...end]
            }
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    /// The chain with its placeholders filled in, for one peer (or, for validation, a sample one).
    public static func fill(_ chain: GraphSpec.Chain, peer: String, slot: Int) -> GraphSpec.Chain {
        let start = GraphVariables.timestamp()
        func fill(_ text: String, peer: String, slot: Int) -> String { Self.fill(text, peer: peer, slot: slot, start: start) }
        let items = chain.items.map { item, position -> (GraphSpec.ChainItem, GraphSpec.Position?) in
            switch item {
            case .element(let factory, let properties):
                let filled = properties.map { GraphSpec.Property(name: $0.name, value: fill($0.value, peer: peer, slot: slot), position: $0.position) }
                return (.element(factory: factory, properties: filled), position)
            case .caps(let caps):
                return (.caps(fill(caps, peer: peer, slot: slot)), position)
            case .node:
                return (item, position)
            }
        }
        return GraphSpec.Chain(items: items, text: fill(chain.text, peer: peer, slot: slot))
    }
}
