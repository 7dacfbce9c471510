import Foundation
public import Yams

/// The shape of a configuration document: what keys exist, their types, defaults and help.
///
/// Validation walks the YAML nodes with the schema and reports every unknown key and wrong type at its
/// `file:line:col`; conversion then yields a `JSONValue` with the right types and defaults filled in.
public indirect enum ConfigSchema: Sendable {
    /// Any scalar, as text.
    case string(default: String?)
    /// An integer within a range.
    case int(default: Int64?, range: ClosedRange<Int64>)
    /// true / false (YAML 1.1 spellings accepted).
    case bool(default: Bool?)
    /// One of a fixed set of words.
    case choice([String], default: String?)
    /// A list of strings, each checked by `check` (returns an error message or nil).
    case stringList(default: [String]?, check: @Sendable (String) -> String?)
    /// Fixed keys (in documentation order).
    case object([(String, ConfigSchema)])
    /// Any keys, each value of one schema (plugin entries).
    case dictionary(ConfigSchema)
    /// Any YAML; kept as it is (plugin options).
    case any

    /// Checks `node` and appends what is wrong to `diagnostics`.
    public func validate(_ node: Node, path: String, source: YAMLSource, into diagnostics: inout [ConfigDiagnostic]) {
        func wrong(_ expected: String) {
            diagnostics.append(source.diagnostic(node, "\(path): expected \(expected), found \(node.kindName)", keyPath: path))
        }
        switch self {
        case .string:
            if node.scalarText == nil { wrong("a string") }
        case .int(_, let range):
            guard let text = node.scalarText else { return wrong("an integer") }
            guard let value = Int64(text.replacingOccurrences(of: "_", with: "")) else { return wrong("an integer") }
            if !range.contains(value) {
                diagnostics.append(
                    source.diagnostic(node, "\(path): \(value) is out of range \(range.lowerBound)…\(range.upperBound)", keyPath: path))
            }
        case .bool:
            guard let text = node.scalarText, ConfigSchema.bool(text) != nil else { return wrong("true or false") }
        case .choice(let words, _):
            guard let text = node.scalarText else { return wrong("one of \(words.joined(separator: ", "))") }
            if !words.contains(text) {
                diagnostics.append(
                    source.diagnostic(node, "\(path): '\(text)' is not one of \(words.joined(separator: ", "))", keyPath: path))
            }
        case .stringList(_, let check):
            guard case .sequence(let sequence) = node else { return wrong("a list of strings") }
            for (index, item) in sequence.enumerated() {
                guard let text = item.scalarText else {
                    diagnostics.append(
                        source.diagnostic(item, "\(path)[\(index)]: expected a string, found \(item.kindName)", keyPath: path))
                    continue
                }
                if let problem = check(text) { diagnostics.append(source.diagnostic(item, "\(path)[\(index)]: \(problem)", keyPath: path)) }
            }
        case .object(let fields):
            guard case .mapping(let mapping) = node else { return wrong("a mapping") }
            let names = fields.map(\.0)
            for (key, value) in mapping {
                guard let name = key.scalarText else {
                    diagnostics.append(source.diagnostic(key, "\(path): keys must be strings", keyPath: path))
                    continue
                }
                guard let schema = fields.first(where: { $0.0 == name })?.1 else {
                    let hint = ConfigSchema.closest(to: name, in: names).map { " (did you mean '\($0)'?)" } ?? ""
                    diagnostics.append(
                        source.diagnostic(
                            key, "unknown key '\(name)' in \(path.isEmpty ? "the top level" : path)\(hint)",
                            keyPath: path.isEmpty ? name : "\(path).\(name)"))
                    continue
                }
                schema.validate(value, path: path.isEmpty ? name : "\(path).\(name)", source: source, into: &diagnostics)
            }
        case .dictionary(let schema):
            guard case .mapping(let mapping) = node else { return wrong("a mapping") }
            for (key, value) in mapping {
                guard let name = key.scalarText else {
                    diagnostics.append(source.diagnostic(key, "\(path): keys must be strings", keyPath: path))
                    continue
                }
                schema.validate(value, path: "\(path).\(name)", source: source, into: &diagnostics)
            }
        case .any:
            break
        }
    }

    /// The typed JSON form of a validated node (nil node: the defaults).
    public func convert(_ node: Node?) -> JSONValue {
        switch self {
        case .string(let fallback):
            return node?.scalarText.map { .string($0) } ?? fallback.map { .string($0) } ?? .null
        case .int(let fallback, _):
            if let text = node?.scalarText, let value = Int64(text.replacingOccurrences(of: "_", with: "")) {
                return .int(value)
            }
            return fallback.map { .int($0) } ?? .null
        case .bool(let fallback):
            return (node?.scalarText.flatMap(ConfigSchema.bool) ?? fallback).map { .bool($0) } ?? .null
        case .choice(_, let fallback):
            return node?.scalarText.map { .string($0) } ?? fallback.map { .string($0) } ?? .null
        case .stringList(let fallback, _):
            if case .sequence(let sequence)? = node { return .array(sequence.compactMap { $0.scalarText }.map { .string($0) }) }
            return fallback.map { .array($0.map { .string($0) }) } ?? .null
        case .object(let fields):
            var members: [String: JSONValue] = [:]
            for (name, schema) in fields {
                let value = schema.convert(node?.mapping?[Node.scalar(.init(name))])
                if value != .null { members[name] = value }
            }
            return .object(members)
        case .dictionary(let schema):
            guard case .mapping(let mapping)? = node else { return .object([:]) }
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping { if let name = key.scalarText { members[name] = schema.convert(value) } }
            return .object(members)
        case .any:
            return node.map(ConfigSchema.plain) ?? .object([:])
        }
    }

    /// The names of the keys of a dictionary node in file order (JSON objects lose it).
    public static func keyOrder(_ node: Node?) -> [String] {
        guard case .mapping(let mapping)? = node else { return [] }
        return mapping.compactMap { $0.key.scalarText }
    }

    /// YAML 1.1 booleans.
    static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on": true
        case "false", "no", "off": false
        default: nil
        }
    }

    /// Any node as JSON, by YAML's own tag resolution.
    static func plain(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return node.bool.map { .bool($0) } ?? .string(scalar.string)
            case Tag.Name.int.rawValue: return node.int.map { .int(Int64($0)) } ?? .string(scalar.string)
            case Tag.Name.float.rawValue: return node.float.map { .double($0) } ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping { members[key.scalarText ?? "\(key)"] = plain(value) }
            return .object(members)
        case .sequence(let sequence):
            return .array(sequence.map(plain))
        case .alias:
            return .null
        }
    }

    /// The candidate nearest to `word` by edit distance, when it is close (for "did you mean" hints).
    public static func closest(to word: String, in candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var previous = Array(0...b.count)
            for (i, ca) in a.enumerated() {
                var current = [i + 1]
                for (j, cb) in b.enumerated() {
                    current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
                }
                previous = current
            }
            return previous[b.count]
        }
        let scored = candidates.map { ($0, distance(Array(word), Array($0))) }.min { $0.1 < $1.1 }
        guard let (best, score) = scored, score <= max(2, word.count / 3) else { return nil }
        return best
    }
}
