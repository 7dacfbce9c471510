/// Turns a `GraphSpec` into a gst-launch description: every node defined once with its properties, every chain
/// written with `node.` references, and the per-peer receive template instantiated once per peer with its element
/// names suffixed (`level` → `level_<peer>`), fed from the given source.
public enum LaunchDescription {
    /// Where a peer's receive chain gets its RTP: a webrtcbin pad (later) or, for loopback tests, a node's output.
    public enum PeerSource: Sendable, Equatable {
        /// The output of a node of the graph (e.g. `send`, the mic's RTP tee) — a loopback "peer".
        case node(String)
    }

    /// The description for `spec` with one receive template per entry of `peers`.
    public static func make(_ spec: GraphSpec, peers: [(id: String, source: PeerSource)] = []) -> String {
        var parts: [String] = []
        for node in spec.nodes {
            parts.append(([node.element, "name=\(node.name)"] + node.properties.map(assignment)).joined(separator: " "))
        }
        for chain in spec.links {
            parts.append(render(chain, spec: spec, suffix: nil))
        }
        if let receive = spec.peer?.receive {
            for peer in peers {
                switch peer.source {
                case .node(let name):
                    parts.append("\(name). ! queue ! " + render(receive, spec: spec, suffix: peer.id))
                }
            }
        }
        return parts.joined(separator: "  ")
    }

    /// A peer's receive chain without the node it ends in (which lives outside the peer's bin), element names
    /// suffixed; nil when the chain does not end in a node of the graph.
    static func receiveChain(_ chain: GraphSpec.Chain, spec: GraphSpec, suffix: String) -> (text: String, target: String)? {
        guard case .node(let target)? = chain.items.last?.0, spec.node(target) != nil, chain.items.count > 1 else { return nil }
        let inner = GraphSpec.Chain(items: Array(chain.items.dropLast()), text: chain.text)
        let text = render(inner, spec: spec, suffix: suffix)
        return text.isEmpty ? nil : (text, target)
    }

    /// A peer's output chain (`peer.output`, placeholders already filled), element names suffixed; nil when empty.
    static func outputChain(_ chain: GraphSpec.Chain, spec: GraphSpec, suffix: String) -> String? {
        let text = render(chain, spec: spec, suffix: suffix)
        return text.isEmpty ? nil : text
    }

    /// One chain in launch syntax. A node reference can only end or start a chain there (`a. ! v. ! b.` does not
    /// parse), so the chain is split at every node it passes through: `a. ! v.  v. ! b.`.
    private static func render(_ chain: GraphSpec.Chain, spec: GraphSpec, suffix: String?) -> String {
        var segments: [[String]] = [[]]
        for (index, (item, _)) in chain.items.enumerated() {
            switch item {
            case .node(let name) where spec.node(name) != nil:
                segments[segments.count - 1].append("\(name).")
                if index > 0 && index < chain.items.count - 1 { segments.append(["\(name)."]) }
            case .node(let name):
                segments[segments.count - 1].append(name)
            case .element(let factory, let properties):
                let props = properties.map { property in
                    property.name == "name" && suffix != nil
                        ? assignment(.init(name: "name", value: "\(property.value)_\(suffix!)", position: nil))
                        : assignment(property)
                }
                segments[segments.count - 1].append(([factory] + props).joined(separator: " "))
            case .caps(let caps):
                segments[segments.count - 1].append(caps)
            }
        }
        return segments.filter { $0.count > 1 }.map { $0.joined(separator: " ! ") }.joined(separator: "  ")
    }

    /// `name=value`, quoted when the value has spaces or characters the launch syntax treats specially.
    static func assignment(_ property: GraphSpec.Property) -> String {
        let plain = property.value.allSatisfy { $0.isLetter || $0.isNumber || "-_.:/+".contains($0) }
        if plain { return "\(property.name)=\(property.value)" }
        let escaped = property.value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\(property.name)=\"\(escaped)\""
    }
}

import Foundation
