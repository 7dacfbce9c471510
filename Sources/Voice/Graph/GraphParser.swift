import Foundation
import PartyBusCore
import Yams

/// Reads a graph file into a `GraphSpec`, resolving `${key:-default}` variables; every mistake in the YAML's
/// shape is a diagnostic at its `file:line:col` (the element registry checks come after, in `GraphValidator`).
public struct GraphParser: Sendable {
    /// Values for `${key}` variables (e.g. `audio.input` from the `voice:` config section).
    public var variables: [String: String]

    /// A parser with these variable values.
    public init(variables: [String: String] = [:]) { self.variables = variables }

    private static let topLevel = ["graph", "description", "nodes", "links", "peer", "taps", "sdp"]

    /// Parses `text` from `file`. YAML that cannot be read at all throws `ConfigErrors`; every other problem of
    /// shape is returned beside the spec (which holds what could be read), so one run reports everything.
    public func parse(text: String, file: String) throws -> (spec: GraphSpec, problems: [ConfigDiagnostic]) {
        let source: YAMLSource
        do {
            source = try YAMLSource(text: text, file: file)
        } catch {
            throw ConfigErrors([error])
        }
        var problems: [ConfigDiagnostic] = []
        guard case .mapping(let root)? = source.root else {
            throw ConfigErrors([source.diagnostic(source.root, "a graph file is a mapping with graph, nodes, links, peer and taps")])
        }
        for (key, _) in root {
            let name = key.scalarText ?? ""
            if !Self.topLevel.contains(name) {
                let hint = ConfigSchema.closest(to: name, in: Self.topLevel).map { " (did you mean '\($0)'?)" } ?? ""
                problems.append(source.diagnostic(key, "unknown key '\(name)'\(hint)"))
            }
        }
        let graphName = root[Node("graph")]?.scalarText ?? ""
        if graphName.isEmpty { problems.append(source.diagnostic(source.root, "missing 'graph: <name>'")) }

        var nodes: [GraphSpec.Node] = []
        if let nodesNode = root[Node("nodes")] {
            if case .mapping(let mapping) = nodesNode {
                for (key, value) in mapping {
                    let name = key.scalarText ?? ""
                    guard Self.isName(name) else {
                        problems.append(source.diagnostic(key, "node name '\(name)' must be [a-z0-9_-]+"))
                        continue
                    }
                    guard case .mapping(let fields) = value else {
                        problems.append(source.diagnostic(value, "nodes.\(name): expected a mapping with 'element'"))
                        continue
                    }
                    for (field, _) in fields where !["element", "props", "optional"].contains(field.scalarText ?? "") {
                        problems.append(source.diagnostic(field, "nodes.\(name): unknown key '\(field.scalarText ?? "")' (use element, props, optional)"))
                    }
                    var optional = false
                    if let flag = fields[Node("optional")] {
                        switch flag.scalarText {
                        case "true": optional = true
                        case "false": optional = false
                        default: problems.append(source.diagnostic(flag, "nodes.\(name).optional: expected true or false"))
                        }
                    }
                    guard let elementNode = fields[Node("element")], let element = elementNode.scalarText else {
                        problems.append(source.diagnostic(value, "nodes.\(name): missing 'element'"))
                        continue
                    }
                    nodes.append(GraphSpec.Node(
                        name: name, element: resolve(element, at: elementNode, source: source, into: &problems),
                        properties: properties(fields[Node("props")], path: "nodes.\(name).props", source: source, into: &problems),
                        position: Self.position(elementNode), optional: optional))
                }
            } else {
                problems.append(source.diagnostic(nodesNode, "nodes: expected a mapping of name → {element, props}"))
            }
        }
        var links: [GraphSpec.Chain] = []
        if let linksNode = root[Node("links")] {
            if case .sequence(let sequence) = linksNode {
                for item in sequence {
                    guard let text = item.scalarText else {
                        problems.append(source.diagnostic(item, "links: each link is a chain 'a ! b ! c'"))
                        continue
                    }
                    links.append(chain(text, at: item, source: source, into: &problems))
                }
            } else {
                problems.append(source.diagnostic(linksNode, "links: expected a list of chains"))
            }
        }
        var peer: GraphSpec.Peer?
        if let peerNode = root[Node("peer")] {
            if case .mapping(let fields) = peerNode {
                for (field, _) in fields where !["webrtc", "receive", "tap", "output"].contains(field.scalarText ?? "") {
                    problems.append(source.diagnostic(field, "peer: unknown key '\(field.scalarText ?? "")' (use webrtc, receive, tap, output)"))
                }
                func peerChain(_ key: String) -> GraphSpec.Chain? {
                    fields[Node(key)].flatMap { node -> GraphSpec.Chain? in
                        guard let text = node.scalarText else {
                            problems.append(source.diagnostic(node, "peer.\(key): expected a chain"))
                            return nil
                        }
                        return chain(text, at: node, source: source, into: &problems)
                    }
                }
                let receive = peerChain("receive")
                let output = peerChain("output")
                peer = GraphSpec.Peer(
                    webrtc: properties(fields[Node("webrtc")], path: "peer.webrtc", source: source, into: &problems),
                    receive: receive, tap: fields[Node("tap")]?.scalarText,
                    tapPosition: fields[Node("tap")].flatMap(Self.position), output: output)
            } else {
                problems.append(source.diagnostic(peerNode, "peer: expected a mapping with webrtc, receive, tap"))
            }
        }
        var taps: [(name: String, node: String, position: GraphSpec.Position?)] = []
        if let tapsNode = root[Node("taps")] {
            if case .mapping(let mapping) = tapsNode {
                for (key, value) in mapping {
                    guard let name = key.scalarText, let target = value.scalarText else {
                        problems.append(source.diagnostic(value, "taps: each tap names a node"))
                        continue
                    }
                    taps.append((name, target, Self.position(value)))
                }
            } else {
                problems.append(source.diagnostic(tapsNode, "taps: expected a mapping of tap → node"))
            }
        }
        var sdp: [(node: String, file: String, position: GraphSpec.Position?)] = []
        if let sdpNode = root[Node("sdp")] {
            if case .mapping(let mapping) = sdpNode {
                for (key, value) in mapping {
                    guard let name = key.scalarText, let file = value.scalarText else {
                        problems.append(source.diagnostic(value, "sdp: each entry is udpsink-node: file"))
                        continue
                    }
                    sdp.append((name, resolve(file, at: value, source: source, into: &problems), Self.position(value)))
                }
            } else {
                problems.append(source.diagnostic(sdpNode, "sdp: expected a mapping of udpsink node → .sdp file"))
            }
        }
        var spec = GraphSpec(
            name: graphName, description: root[Node("description")]?.scalarText ?? "", nodes: nodes, links: links,
            peer: peer, taps: taps)
        spec.sdp = sdp
        return (spec, problems)
    }

    private func properties(
        _ node: Yams.Node?, path: String, source: YAMLSource, into problems: inout [ConfigDiagnostic]
    ) -> [GraphSpec.Property] {
        guard let node else { return [] }
        guard case .mapping(let mapping) = node else {
            problems.append(source.diagnostic(node, "\(path): expected a mapping of property → value"))
            return []
        }
        var out: [GraphSpec.Property] = []
        for (key, value) in mapping {
            guard let name = key.scalarText, let text = value.scalarText else {
                problems.append(source.diagnostic(value, "\(path): property values are scalars"))
                continue
            }
            let resolved = resolve(text, at: value, source: source, into: &problems)
            // An empty value (`${obs.srt.passphrase:-}` unset) leaves the element's default: srtsink takes even ""
            // as a passphrase.
            if resolved.isEmpty { continue }
            out.append(.init(name: name, value: resolved, position: Self.position(value)))
        }
        return out
    }

    /// Splits `a ! b prop=v ! audio/x-raw,rate=16000` into items, each with its column in the file.
    private func chain(_ text: String, at node: Yams.Node, source: YAMLSource, into problems: inout [ConfigDiagnostic]) -> GraphSpec.Chain {
        let resolved = resolve(text, at: node, source: source, into: &problems)
        var items: [(GraphSpec.ChainItem, GraphSpec.Position?)] = []
        var offset = 0
        for part in resolved.split(separator: "!", omittingEmptySubsequences: false) {
            let raw = String(part)
            let leading = raw.prefix { $0 == " " }.count
            let item = raw.trimmingCharacters(in: .whitespaces)
            let position = Self.position(node).map { GraphSpec.Position(line: $0.line, column: $0.column + offset + leading) }
            offset += raw.count + 1
            guard !item.isEmpty else {
                problems.append(ConfigDiagnostic(
                    file: source.file, line: position?.line, column: position?.column, message: "empty link segment in '\(text)'"))
                continue
            }
            let firstToken = item.split(separator: " ").first.map(String.init) ?? item
            if firstToken.contains("/") {
                items.append((.caps(item), position))
            } else {
                let tokens = item.split(separator: " ").map(String.init)
                let props = tokens.dropFirst().compactMap { token -> GraphSpec.Property? in
                    let pair = token.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                    guard pair.count == 2 else {
                        problems.append(ConfigDiagnostic(
                            file: source.file, line: position?.line, column: position?.column,
                            message: "'\(token)' in '\(item)' is not property=value"))
                        return nil
                    }
                    return pair[1].isEmpty ? nil : GraphSpec.Property(name: pair[0], value: pair[1], position: position)
                }
                items.append((props.isEmpty && tokens.count == 1 ? .node(firstToken) : .element(factory: firstToken, properties: props), position))
            }
        }
        return GraphSpec.Chain(items: items, text: resolved)
    }

    /// Replaces `${key}` and `${key:-default}`; an unknown key without a default is a diagnostic.
    func resolve(_ text: String, at node: Yams.Node, source: YAMLSource, into problems: inout [ConfigDiagnostic]) -> String {
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                problems.append(source.diagnostic(node, "unclosed '${' in '\(text)'"))
                return text
            }
            let body = rest[start.upperBound..<end]
            let parts = body.components(separatedBy: ":-")
            let key = parts[0]
            if let value = variables[key] {
                out += value
            } else if parts.count > 1 {
                out += parts.dropFirst().joined(separator: ":-")
            } else {
                problems.append(source.diagnostic(node, "variable '\(key)' has no value and no default (write ${\(key):-default})"))
            }
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }
    }

    static func position(_ node: Yams.Node) -> GraphSpec.Position? {
        node.mark.map { GraphSpec.Position(line: $0.line, column: $0.column) }
    }
}
