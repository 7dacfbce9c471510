public import Yams

/// A YAML document parsed into nodes that remember their line and column, for position-exact diagnostics.
public struct YAMLSource {
    /// The file name used in diagnostics.
    public let file: String
    /// The root node (nil for an empty document).
    public let root: Node?

    /// Parses `text`; a syntax error becomes a diagnostic at the point libyaml reports.
    public init(text: String, file: String) throws(ConfigDiagnostic) {
        self.file = file
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw YAMLSource.diagnostic(for: error, file: file)
        } catch {
            throw ConfigDiagnostic(file: file, line: nil, column: nil, message: "cannot parse YAML: \(error)")
        }
    }

    /// A diagnostic pointing at `node`.
    public func diagnostic(_ node: Node?, _ message: String, keyPath: String? = nil) -> ConfigDiagnostic {
        ConfigDiagnostic(
            file: file, line: node?.mark?.line, column: node?.mark?.column, message: message, keyPath: keyPath)
    }

    static func diagnostic(for error: YamlError, file: String) -> ConfigDiagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let where_ = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return ConfigDiagnostic(
                file: file, line: mark.line, column: mark.column, message: "YAML syntax: \(problem)\(where_)")
        case .reader(let problem, let offset, _, _):
            return ConfigDiagnostic(
                file: file, line: nil, column: nil,
                message: "YAML cannot be read: \(problem)\(offset.map { " at byte \($0)" } ?? "")")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigDiagnostic(
                file: file, line: context.mark.line, column: context.mark.column,
                message: "duplicate key\(duplicates.count > 1 ? "s" : "") \(duplicates.joined(separator: ", "))")
        default:
            return ConfigDiagnostic(file: file, line: nil, column: nil, message: "YAML error: \(error)")
        }
    }
}

extension Node {
    /// The scalar's text, when this is a scalar.
    public var scalarText: String? {
        if case .scalar(let scalar) = self { return scalar.string }
        return nil
    }

    /// A short name of the node's kind for messages.
    public var kindName: String {
        switch self {
        case .scalar(let scalar): "'\(scalar.string.prefix(40))'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}
