/// Draws a graph as Graphviz DOT: nodes as boxes, anonymous chain elements as ellipses, caps as notes, taps as
/// dashed arrows, the per-peer template as a cluster.
public enum GraphDot {
    /// The DOT text of `spec`.
    public static func render(_ spec: GraphSpec) -> String {
        var lines = ["digraph \"\(spec.name)\" {", "  rankdir=LR;", "  node [fontname=\"Helvetica\", fontsize=10];"]
        for node in spec.nodes {
            let props = node.properties.map(Self.shown).joined(separator: "\\n")
            lines.append("  \"\(node.name)\" [shape=box, label=\"\(node.name)\\n\(node.element)\(props.isEmpty ? "" : "\\n" + props)\"];")
        }
        var anonymous = 0
        func chainLines(_ chain: GraphSpec.Chain, prefix: String) -> [String] {
            var out: [String] = []
            var previous: String?
            for (item, _) in chain.items {
                let id: String
                switch item {
                case .node(let name):
                    id = "\(prefix)\(name)"
                    if spec.node(name) == nil { out.append("  \"\(id)\" [shape=ellipse, label=\"\(name)\"];") }
                case .element(let factory, let properties):
                    anonymous += 1
                    id = "\(prefix)\(factory)#\(anonymous)"
                    let props = properties.map(Self.shown).joined(separator: "\\n")
                    out.append("  \"\(id)\" [shape=ellipse, label=\"\(factory)\(props.isEmpty ? "" : "\\n" + props)\"];")
                case .caps(let caps):
                    anonymous += 1
                    id = "caps#\(anonymous)"
                    out.append("  \"\(id)\" [shape=note, label=\"\(caps.replacingOccurrences(of: ",", with: "\\n"))\"];")
                }
                if let previous { out.append("  \"\(previous)\" -> \"\(id)\";") }
                previous = id
            }
            return out
        }
        for chain in spec.links { lines += chainLines(chain, prefix: "") }
        if let peer = spec.peer, let receive = peer.receive {
            lines.append("  subgraph cluster_peer {")
            lines.append("    label=\"per peer (webrtcbin \(peer.webrtc.map(Self.shown).joined(separator: " ")))\"; style=dashed;")
            lines.append("    \"webrtcbin\" [shape=box];")
            lines.append("  }")
            var receiveLines = chainLines(receive, prefix: "")
            if let first = receiveLines.first(where: { $0.contains("[shape=") }), let id = first.split(separator: "\"").dropFirst().first {
                receiveLines.append("  \"webrtcbin\" -> \"\(id)\";")
            }
            lines += receiveLines
        }
        for tap in spec.taps {
            lines.append("  \"tap:\(tap.name)\" [shape=plaintext];")
            lines.append("  \"\(tap.node)\" -> \"tap:\(tap.name)\" [style=dashed];")
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    /// `name=value`, with secrets (an SRT `passphrase`) hidden.
    static func shown(_ property: GraphSpec.Property) -> String {
        property.name == "passphrase" ? "\(property.name)=(hidden)" : "\(property.name)=\(property.value)"
    }
}

import Foundation
