public import Foundation
public import PartyBusCore

/// Reading a graph file the way every user of it needs: parse, validate against this machine's GStreamer, and
/// every problem as a `file:line:col` diagnostic in file order.
public enum GraphFile {
    /// The spec of `path` (nil when it does not parse) and every problem found.
    public static func check(_ path: String, variables: [String: String]) -> (spec: GraphSpec?, problems: [ConfigDiagnostic]) {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            return (nil, [ConfigDiagnostic(file: path, line: nil, column: nil, message: "cannot read the file (missing, unreadable or not UTF-8)")])
        }
        do {
            let (spec, shape) = try GraphParser(variables: variables).parse(text: text, file: path)
            let all = (shape + GraphValidator(file: path).validate(spec))
                .sorted { ($0.line ?? 0, $0.column ?? 0) < ($1.line ?? 0, $1.column ?? 0) }
            return (spec, all)
        } catch let errors as ConfigErrors {
            return (nil, errors.diagnostics)
        } catch {
            return (nil, [ConfigDiagnostic(file: path, line: nil, column: nil, message: "\(error)")])
        }
    }

    /// The spec of a file with no problems; throws `ConfigErrors` with every problem otherwise.
    public static func load(_ path: String, variables: [String: String]) throws -> GraphSpec {
        let (spec, problems) = check(path, variables: variables)
        guard let spec, problems.isEmpty else { throw ConfigErrors(problems) }
        return spec
    }
}
