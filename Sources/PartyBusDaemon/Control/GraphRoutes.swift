import Foundation
import PartyBusCore

/// `/v1/graphs…`: the audio graph files (docs/pipelines.md) — list, read, check and save. A save happens only when
/// the text checks out; voice notices the edited file by itself (hot reload) and restarts with it.
enum GraphRoutes {
    static let routes: [ControlRoute] = [
        ControlRoute("GET", "/v1/graphs", "The graph files in the voice graph's folder, each checked, and which one voice is configured with.") { _, context in
            let folder = GraphFolder(config: context.config)
            var graphs: [Listed] = []
            for name in folder.names() {
                let text = readText(folder, name)
                let problems = await folder.check(text ?? "", file: name)
                graphs.append(Listed(
                    name: name, graph: graphName(text), ok: text != nil && problems.isEmpty,
                    problems: text == nil ? 1 : problems.count))
            }
            return try .json(Listing(folder: folder.url.path, voiceGraph: folder.voiceGraph, graphs: graphs))
        },
        ControlRoute("GET", "/v1/graphs/{name}", "One graph file: its YAML text and its problems.") { request, context in
            let folder = GraphFolder(config: context.config)
            let name = try checkedName(request)
            guard let text = readText(folder, name) else {
                throw ControlAPIError.notFound("no graph file '\(name)' in \(folder.url.path)")
            }
            let problems = await folder.check(text, file: name)
            return try .json(Graph(name: name, text: text, voiceGraph: name == folder.voiceGraph, ok: problems.isEmpty,
                                   problems: problems.map(Problem.init)))
        },
        ControlRoute("PUT", "/v1/graphs/{name}", "Save a graph file if its text checks out (422 with the problems otherwise); body {text}.") { request, context in
            let text = try checkedText(request)
            let name = try checkedName(request)
            let folder = GraphFolder(config: context.config)
            let problems = await folder.check(text, file: name)
            guard problems.isEmpty else {
                let first = problems[0]
                let place = first.line.map { line in " at line \(line)" + (first.column.map { ", column \($0)" } ?? "") } ?? ""
                return try .json(Rejection(
                    error: "not saved: \(problems.count) problem\(problems.count == 1 ? "" : "s"), the first\(place): \(first.message)",
                    ok: false, problems: problems.map(Problem.init)), status: 422)
            }
            do {
                try Data(text.utf8).write(to: folder.file(name), options: .atomic)
            } catch {
                throw ControlAPIError(status: 500, message: "cannot write \(name) in \(folder.url.path): \(error.localizedDescription)")
            }
            return try .json(Saved(name: name, saved: true, voiceGraph: name == folder.voiceGraph))
        },
        ControlRoute("POST", "/v1/graphs/check", "Check a graph's YAML text; body {text}: every problem with its line and column.") { request, context in
            let text = try checkedText(request)
            let problems = await GraphFolder(config: context.config).check(text, file: "graph")
            return try .json(Check(ok: problems.isEmpty, problems: problems.map(Problem.init)))
        },
    ]

    /// One problem at its place (1-based; absent when the problem has no place).
    struct Problem: Encodable {
        var line: Int?
        var column: Int?
        var message: String
        init(_ diagnostic: ConfigDiagnostic) {
            line = diagnostic.line
            column = diagnostic.column
            message = diagnostic.message
        }
    }

    /// One entry of `GET /v1/graphs`.
    struct Listed: Encodable {
        var name: String
        var graph: String?
        var ok: Bool
        var problems: Int
    }

    /// `GET /v1/graphs`.
    struct Listing: Encodable {
        var folder: String
        var voiceGraph: String
        var graphs: [Listed]
    }

    /// `GET /v1/graphs/{name}`.
    struct Graph: Encodable {
        var name: String
        var text: String
        var voiceGraph: Bool
        var ok: Bool
        var problems: [Problem]
    }

    /// `POST /v1/graphs/check`.
    struct Check: Encodable {
        var ok: Bool
        var problems: [Problem]
    }

    /// `PUT /v1/graphs/{name}` refused.
    struct Rejection: Encodable {
        var error: String
        var ok: Bool
        var problems: [Problem]
    }

    /// `PUT /v1/graphs/{name}` done.
    struct Saved: Encodable {
        var name: String
        var saved: Bool
        var voiceGraph: Bool
    }

    /// The `{name}` of the path: a plain graph file name.
    static func checkedName(_ request: ControlRequest) throws -> String {
        let name = request.parameter("name")
        guard GraphFolder.isPlainName(name) else {
            throw ControlAPIError.badRequest(
                "'\(name.prefix(60))' is not a graph file name (letters, digits, '.', '_', '-', ending .yaml or .yml; no '/', no '..')")
        }
        return name
    }

    /// The body's `text`, bounded.
    static func checkedText(_ request: ControlRequest) throws -> String {
        struct Body: Decodable { var text: String }
        let text = try request.decode(Body.self).text
        guard text.utf8.count <= GraphFolder.maxTextBytes else {
            throw ControlAPIError.badRequest("request body: 'text' is larger than \(GraphFolder.maxTextBytes / 1024) KiB")
        }
        return text
    }

    /// A file's text, nil when it cannot be read as UTF-8.
    static func readText(_ folder: GraphFolder, _ name: String) -> String? {
        FileManager.default.contents(atPath: folder.file(name).path).flatMap { String(data: $0, encoding: .utf8) }
    }

    /// The `graph:` name of a file's text, read leniently for the listing.
    static func graphName(_ text: String?) -> String? {
        guard let text else { return nil }
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where line.hasPrefix("graph:") {
            let value = line.dropFirst("graph:".count).trimmingCharacters(in: .whitespaces)
            return value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        return nil
    }
}
