import Foundation
import Yams

/// docs/openapi.yaml parsed with Yams (document order kept), with `$ref`s followed on demand and a small checker
/// of JSON answers against the documented schemas (types, `required`, `enum`, `const`, nested objects and arrays).
struct OpenAPIDocument {
    /// One documented operation: a method under a path.
    struct Operation {
        /// `GET`, `POST` …
        var method: String
        /// The path template as documented, e.g. `/v1/parties/{sessionId}`.
        var path: String
        /// The operation object.
        var node: Node
        /// The path item it sits in (for path-level parameters).
        var pathItem: Node

        /// `METHOD path`.
        var key: String { "\(method) \(path)" }
        /// The documented summary.
        var summary: String? { node["summary"]?.string }
    }

    /// A parameter of an operation, `$ref` resolved.
    struct Parameter {
        /// Its name.
        var name: String
        /// `path`, `query`, `header` or `cookie`.
        var location: String
        /// The parameter object.
        var node: Node
    }

    /// The document's problem (a `$ref` that leads nowhere, a missing file …).
    struct Problem: Error, CustomStringConvertible {
        /// What is wrong.
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The root node.
    let root: Node

    /// The document in the repository this test was compiled from.
    static var fileURL: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // PartyBusDaemonTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // the package
            .appendingPathComponent("docs/openapi.yaml")
    }

    /// Reads and parses docs/openapi.yaml.
    static func load() throws -> OpenAPIDocument {
        let text = try String(contentsOf: fileURL, encoding: .utf8)
        guard let root = try Yams.compose(yaml: text) else { throw Problem("\(fileURL.path) is empty") }
        return OpenAPIDocument(root: root)
    }

    /// HTTP methods an OpenAPI path item may hold.
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    /// Every operation, in document order.
    var operations: [Operation] {
        guard let paths = root["paths"]?.mapping else { return [] }
        var found: [Operation] = []
        for (key, item) in paths {
            guard let path = key.string, let members = item.mapping else { continue }
            for (method, operation) in members {
                guard let method = method.string, Self.methods.contains(method) else { continue }
                found.append(Operation(method: method.uppercased(), path: path, node: operation, pathItem: item))
            }
        }
        return found
    }

    /// Follows `$ref` (local `#/…` pointers only) until a node without one.
    func resolve(_ node: Node) throws -> Node {
        var current = node
        var seen: Set<String> = []
        while let reference = current["$ref"]?.string {
            guard seen.insert(reference).inserted else { throw Problem("$ref cycle at \(reference)") }
            current = try lookUp(reference)
        }
        return current
    }

    /// The node a local JSON pointer (`#/components/schemas/Event`) names.
    func lookUp(_ reference: String) throws -> Node {
        guard reference.hasPrefix("#/") else { throw Problem("only local $refs are used here, found '\(reference)'") }
        var node = root
        for token in reference.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let key = String(token).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let next = node[key] else { throw Problem("$ref '\(reference)' leads nowhere (no '\(key)')") }
            node = next
        }
        return node
    }

    /// Every `$ref` string anywhere in the document.
    var references: [String] {
        var found: [String] = []
        func walk(_ node: Node) {
            if let mapping = node.mapping {
                for (key, value) in mapping {
                    if key.string == "$ref", let reference = value.string { found.append(reference) } else { walk(value) }
                }
            } else if let sequence = node.sequence {
                sequence.forEach(walk)
            }
        }
        walk(root)
        return found
    }

    /// The operation's parameters, path-level ones first, `$ref`s resolved.
    func parameters(of operation: Operation) throws -> [Parameter] {
        let listed = (operation.pathItem["parameters"]?.sequence.map { Array($0) } ?? [])
            + (operation.node["parameters"]?.sequence.map { Array($0) } ?? [])
        return try listed.map { entry in
            let parameter = try resolve(entry)
            guard let name = parameter["name"]?.string, let location = parameter["in"]?.string else {
                throw Problem("\(operation.key): a parameter without name or in")
            }
            return Parameter(name: name, location: location, node: parameter)
        }
    }

    /// The JSON request body schema, if the operation documents one.
    func requestSchema(of operation: Operation) throws -> Node? {
        guard let body = operation.node["requestBody"] else { return nil }
        return try resolve(body)["content"]?["application/json"]?["schema"].map(resolve)
    }

    /// The response object documented for a status: exactly, else `2XX`-style, else `default`.
    func response(of operation: Operation, status: Int) throws -> Node? {
        guard let responses = operation.node["responses"]?.mapping else { return nil }
        // Keys compared as text: Yams' `node["200"]` looks for an integer key and misses the quoted "200".
        for candidate in [String(status), "\(status / 100)XX", "default"] {
            if let response = responses.first(where: { $0.key.string == candidate })?.value { return try resolve(response) }
        }
        return nil
    }

    /// The JSON schema of the response documented for a status.
    func responseSchema(of operation: Operation, status: Int) throws -> Node? {
        try response(of: operation, status: status)?["content"]?["application/json"]?["schema"].map(resolve)
    }

    /// The problems of a JSON value against a schema (empty when it conforms); `at` names the place.
    func problems(of value: Any, against schema: Node, at place: String = "$") throws -> [String] {
        let schema = try resolve(schema)
        var found: [String] = []
        if let expected = schema["const"] {
            if "\(Self.scalarText(value))" != expected.string ?? "" { found.append("\(place): expected \(expected.string ?? "?")") }
        }
        if let allowed = schema["enum"]?.sequence, let text = value as? String {
            let values = allowed.compactMap(\.string)
            if !values.contains(text) { found.append("\(place): '\(text)' is not one of \(values)") }
        }
        let types: Set<String>
        if let one = schema["type"]?.string {
            types = [one]
        } else if let several = schema["type"]?.sequence {
            types = Set(several.compactMap(\.string))
        } else {
            types = []
        }
        let kinds = Self.kinds(of: value)
        if !types.isEmpty && types.isDisjoint(with: kinds) {
            found.append("\(place): expected \(types.sorted().joined(separator: "|")), found \(kinds.sorted().joined(separator: "|"))")
            return found
        }
        if let object = value as? [String: Any] {
            for required in schema["required"]?.sequence?.compactMap(\.string) ?? [] where object[required] == nil {
                found.append("\(place): missing required '\(required)'")
            }
            let properties = schema["properties"]
            for (key, member) in object.sorted(by: { $0.key < $1.key }) {
                if let property = properties?[key] {
                    found += try problems(of: member, against: property, at: "\(place).\(key)")
                } else if let additional = schema["additionalProperties"], additional.mapping != nil {
                    found += try problems(of: member, against: additional, at: "\(place).\(key)")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] {
            for (index, element) in array.enumerated() {
                found += try problems(of: element, against: items, at: "\(place)[\(index)]")
            }
        }
        return found
    }

    /// JSON Schema type names a decoded JSON value can stand for (numbers leniently: Foundation does not always
    /// tell a JSON `true` from `1`).
    static func kinds(of value: Any) -> Set<String> {
        switch value {
        case is NSNull: return ["null"]
        case is String: return ["string"]
        case is [Any]: return ["array"]
        case is [String: Any]: return ["object"]
        case let number as NSNumber:
            let double = number.doubleValue
            var kinds: Set<String> = ["number"]
            if double.rounded() == double { kinds.insert("integer") }
            if double == 0 || double == 1 { kinds.insert("boolean") }
            return kinds
        case is Bool: return ["boolean"]
        default: return []
        }
    }

    private static func scalarText(_ value: Any) -> String {
        if let number = value as? NSNumber, kinds(of: value).contains("boolean"), !(value is String) {
            return number.boolValue ? "true" : "false"
        }
        return "\(value)"
    }
}
