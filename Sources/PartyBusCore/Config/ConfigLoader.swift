public import Foundation
import Yams

/// Reads `config/partybus.yaml`, applies `PARTYBUS_*` environment overrides, validates, and fills in defaults.
///
/// Overrides name a key path with `__` between levels: `PARTYBUS_ENGINE__LOG_LEVEL=debug` sets
/// `engine.log_level`; `PARTYBUS_PLUGINS__MY_HOOK__ENABLED=false` sets `plugins.my-hook.enabled` (a `_` also
/// matches a `-` in an existing key). `PARTYBUS_DATA_DIR` and `PARTYBUS_LOG_LEVEL` are short forms.
public struct ConfigLoader: Sendable {
    /// Schemas of the sections other modules own.
    public var extraSections: [(String, ConfigSchema)]
    /// The environment to read overrides from.
    public var environment: [String: String]

    /// A loader over the process environment.
    public init(
        extraSections: [(String, ConfigSchema)] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.extraSections = extraSections
        self.environment = environment
    }

    /// The file to read: `--config`, else `PARTYBUS_CONFIG`, else `./config/partybus.yaml`, else
    /// `$XDG_CONFIG_HOME/partybus/partybus.yaml`; nil when none exists (defaults only).
    public func locate(explicit: String?) -> String? {
        if let explicit { return explicit }
        if let fromEnvironment = environment["PARTYBUS_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        let local = "config/partybus.yaml"
        if FileManager.default.fileExists(atPath: local) { return local }
        let configHome = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.config")
        let user = configHome + "/partybus/partybus.yaml"
        return FileManager.default.fileExists(atPath: user) ? user : nil
    }

    /// Every problem in the file and the environment (empty when the configuration is good).
    public func check(file: String?) -> [ConfigDiagnostic] {
        do {
            _ = try load(file: file)
            return []
        } catch let errors as ConfigErrors {
            return errors.diagnostics
        } catch {
            return [ConfigDiagnostic(file: file ?? "config", line: nil, column: nil, message: "\(error)")]
        }
    }

    /// Loads and validates; throws `ConfigErrors` listing every problem.
    public func load(file: String?) throws -> PartyBusConfig {
        var diagnostics: [ConfigDiagnostic] = []
        var root: Node?
        var source = try! YAMLSource(text: "", file: file ?? "defaults")
        if let file {
            // Read through a file handle: it also works for /dev/null, pipes and process substitution.
            guard let handle = FileHandle(forReadingAtPath: file) else {
                let reason = FileManager.default.fileExists(atPath: file) ? "permission denied" : "no such file"
                throw ConfigErrors([.init(file: file, line: nil, column: nil, message: "cannot read: \(reason)")])
            }
            defer { try? handle.close() }
            let data = (try? handle.readToEnd()) ?? Data()
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigErrors([.init(file: file, line: nil, column: nil, message: "cannot read: not UTF-8 text")])
            }
            do {
                source = try YAMLSource(text: text, file: file)
                root = source.root
            } catch {
                throw ConfigErrors([error])
            }
        }
        if let node = root, node.scalarText == "" { root = nil }
        var document = root ?? Node.mapping(.init([]))
        let schema = CoreConfigSchema.root(extraSections: extraSections)
        let overrides = applyOverrides(to: &document, schema: schema, diagnostics: &diagnostics)
        var found: [ConfigDiagnostic] = []
        schema.validate(document, path: "", source: source, into: &found)
        // A problem in a node set from the environment names the variable, not the file.
        for diagnostic in found {
            let fromEnvironment = overrides.first { override in
                guard let keyPath = diagnostic.keyPath else { return false }
                return override.path == keyPath || override.path.hasPrefix(keyPath + ".")
            }
            if diagnostic.line == nil, let name = fromEnvironment?.variable {
                diagnostics.append(.init(file: "env \(name)", line: nil, column: nil, message: diagnostic.message))
            } else {
                diagnostics.append(diagnostic)
            }
        }
        diagnostics += pluginRules(document, source: source)
        guard diagnostics.isEmpty else { throw ConfigErrors(diagnostics) }
        return try makeConfig(schema.convert(document), document: document, file: file)
    }

    /// Rules across keys: exactly one of builtin / library / exec per plugin.
    private func pluginRules(_ document: Node, source: YAMLSource) -> [ConfigDiagnostic] {
        guard let plugins = document.mapping?[Node("plugins")]?.mapping else { return [] }
        var diagnostics: [ConfigDiagnostic] = []
        for (key, entry) in plugins {
            guard let name = key.scalarText, let fields = entry.mapping else { continue }
            if !name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }) {
                diagnostics.append(source.diagnostic(key, "plugins.\(name): a plugin name must be [a-z0-9-]+"))
            }
            let ways = ["builtin", "library", "exec"].filter { fields[Node($0)] != nil }
            if ways.count != 1 {
                diagnostics.append(
                    source.diagnostic(
                        key,
                        "plugins.\(name): give exactly one of builtin, library or exec"
                            + (ways.isEmpty ? "" : " (found \(ways.joined(separator: ", ")))")))
            }
        }
        return diagnostics
    }

    private struct Override {
        var variable: String
        var path: String
    }

    /// Writes each `PARTYBUS_*` override into the document.
    private func applyOverrides(
        to document: inout Node, schema: ConfigSchema, diagnostics: inout [ConfigDiagnostic]
    ) -> [Override] {
        var applied: [Override] = []
        let aliases = ["PARTYBUS_DATA_DIR": "ENGINE__DATA_DIR", "PARTYBUS_LOG_LEVEL": "ENGINE__LOG_LEVEL"]
        for (variable, value) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix("PARTYBUS_") {
            if variable == "PARTYBUS_CONFIG" { continue }
            let spec = aliases[variable] ?? String(variable.dropFirst("PARTYBUS_".count))
            let segments = spec.components(separatedBy: "__").map { $0.lowercased() }
            guard segments.count >= 2, !segments.contains("") else {
                // Variables of other modules (credentials and the like) are read by them, not by the config.
                continue
            }
            var resolved: [String] = []
            document = set(value, at: segments[...], in: document, schema: schema, resolved: &resolved)
            applied.append(Override(variable: variable, path: resolved.joined(separator: ".")))
        }
        return applied
    }

    /// Sets `value` at `path`; each segment matches an existing key or a schema key, ignoring case, `_` and `-`
    /// (so `CLIENT_SECRET` finds `clientSecret` and `PARTY_LOG` finds `party-log`).
    private func set(
        _ value: String, at path: ArraySlice<String>, in node: Node, schema: ConfigSchema?, resolved: inout [String]
    ) -> Node {
        guard let head = path.first else { return Node(value) }
        var pairs: [(Node, Node)] = node.mapping.map { Array($0) } ?? []
        let normalized = { (s: String) in
            s.lowercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
        }
        let index = pairs.firstIndex { normalized($0.0.scalarText ?? "") == normalized(head) }
        var childSchema: ConfigSchema?
        var schemaKey: String?
        switch schema {
        case .object(let fields)?:
            if let field = fields.first(where: { normalized($0.0) == normalized(head) }) {
                schemaKey = field.0
                childSchema = field.1
            }
        case .dictionary(let inner)?:
            childSchema = inner
        default:
            break
        }
        let key = index.map { pairs[$0].0.scalarText ?? head } ?? schemaKey ?? head
        resolved.append(key)
        let child = index.map { pairs[$0].1 } ?? Node.mapping(.init([]))
        let updated = set(value, at: path.dropFirst(), in: child, schema: childSchema, resolved: &resolved)
        if let index { pairs[index].1 = updated } else { pairs.append((Node(key), updated)) }
        return Node.mapping(.init(pairs, node.mapping?.tag ?? .implicit, .any, node.mark))
    }

    private func makeConfig(_ json: JSONValue, document: Node, file: String?) throws -> PartyBusConfig {
        let decoder = JSONDecoder()
        let engine = try decoder.decode(
            PartyBusConfig.EngineSettings.self, from: JSONEncoder().encode(json["engine"] ?? .object([:])))
        var plugins: [PartyBusConfig.PluginSettings] = []
        let pluginNode = document.mapping?[Node("plugins")]
        for name in ConfigSchema.keyOrder(pluginNode) {
            guard case .object(let fields)? = json["plugins"]?[name] else { continue }
            plugins.append(
                PartyBusConfig.PluginSettings(
                    name: name, enabled: fields["enabled"] == .bool(true), builtin: fields["builtin"]?.stringValue,
                    library: fields["library"]?.stringValue,
                    exec: fields["exec"].flatMap { value -> [String]? in
                        guard case .array(let items) = value else { return nil }
                        return items.compactMap(\.stringValue)
                    },
                    events: fields["events"].flatMap { value -> [String]? in
                        guard case .array(let items) = value else { return nil }
                        return items.compactMap(\.stringValue)
                    },
                    start: fields["start"]?.stringValue ?? "latest", options: fields["options"] ?? .object([:])))
        }
        var sections: [String: JSONValue] = [:]
        for (name, _) in extraSections { sections[name] = json[name] ?? .object([:]) }
        return PartyBusConfig(engine: engine, plugins: plugins, sections: sections, file: file)
    }
}
