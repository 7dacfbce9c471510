import Foundation
import PartyBusDaemon
import Testing
import Yams

/// docs/openapi.yaml and `ControlAPI.routes` describe the same API: the same operations in the same order, the same
/// summaries, every path parameter documented, the query parameters the event routes read, and no dangling `$ref`.
@Suite("OpenAPI document matches the route table")
struct OpenAPIDocumentTests {
    let document: OpenAPIDocument

    init() throws { document = try OpenAPIDocument.load() }

    @Test("it is an OpenAPI 3.1 document with a bearer scheme for TCP")
    func header() throws {
        #expect(document.root["openapi"]?.string?.hasPrefix("3.1") == true)
        let scheme = try #require(document.root["components"]?["securitySchemes"]?["bearerToken"])
        #expect(scheme["type"]?.string == "http")
        #expect(scheme["scheme"]?.string == "bearer")
        #expect(scheme["description"]?.string?.contains("0600") == true, "say that the Unix socket is protected by its mode")
    }

    @Test("every route is documented and every documented operation is a route, in the route table's order")
    func sameOperations() {
        let routes = ControlAPI.routes.map { "\($0.method) \($0.path)" }
        let documented = document.operations.map(\.key)
        let undocumented = routes.filter { !documented.contains($0) }
        let extra = documented.filter { !routes.contains($0) }
        #expect(undocumented.isEmpty, "routes missing from docs/openapi.yaml: \(undocumented)")
        #expect(extra.isEmpty, "docs/openapi.yaml documents operations that are no route: \(extra)")
        #expect(Set(routes).count == routes.count, "a route is listed twice")
        if undocumented.isEmpty && extra.isEmpty { #expect(documented == routes, "same operations, another order") }
    }

    @Test("each operation's summary is its route's summary")
    func summaries() {
        for route in ControlAPI.routes {
            guard let operation = document.operations.first(where: { $0.key == "\(route.method) \(route.path)" }) else { continue }
            #expect(operation.summary == route.summary, "\(operation.key)")
        }
    }

    @Test("every {name} of a path template is a documented, required path parameter, and no other")
    func pathParameters() throws {
        for operation in document.operations {
            let templated = Set(operation.path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }
                .map { String($0.dropFirst().dropLast()) })
            let parameters = try document.parameters(of: operation).filter { $0.location == "path" }
            #expect(Set(parameters.map(\.name)) == templated, "\(operation.key)")
            for parameter in parameters {
                #expect(parameter.node["required"]?.bool == true, "\(operation.key): path parameter \(parameter.name) must be required")
            }
        }
    }

    @Test("the event routes document the query parameters they read; type and stream are repeatable")
    func queryParameters() throws {
        let expected: [String: Set<String>] = [
            "GET /v1/events": ["from", "to", "limit", "last", "type", "stream"],
            "GET /v1/events/stream": ["from", "type", "stream"],
        ]
        for operation in document.operations {
            let query = try document.parameters(of: operation).filter { $0.location == "query" }
            #expect(Set(query.map(\.name)) == expected[operation.key] ?? [], "\(operation.key)")
            for parameter in query where ["type", "stream"].contains(parameter.name) {
                let schema = try document.resolve(try #require(parameter.node["schema"]))
                #expect(schema["type"]?.string == "array", "\(operation.key): \(parameter.name) is repeatable")
                #expect(parameter.node["explode"]?.bool != false, "\(operation.key): \(parameter.name) as type=a&type=b")
            }
        }
    }

    @Test("the event stream answers text/event-stream; the JSON answers and errors have schemas")
    func responses() throws {
        for operation in document.operations {
            let responses = try #require(operation.node["responses"]?.mapping, "\(operation.key) has no responses")
            let success = responses.keys.compactMap(\.string).filter { $0.hasPrefix("2") }
            #expect(success.count == 1, "\(operation.key): one success answer")
            let status = Int(success.first ?? "") ?? 200
            let answer = try #require(try document.response(of: operation, status: status))
            if operation.key == "GET /v1/events/stream" {
                #expect(answer["content"]?["text/event-stream"] != nil)
            } else if operation.key == "GET /v1/exports/{file}" {
                #expect(answer["content"]?["application/octet-stream"] != nil, "exports are bytes")
            } else if operation.key == "GET /metrics" {
                #expect(answer["content"]?["text/plain"] != nil, "metrics are Prometheus text")
            } else {
                #expect(try document.responseSchema(of: operation, status: status) != nil, "\(operation.key): no JSON schema")
            }
            let error = try #require(try document.responseSchema(of: operation, status: 400), "\(operation.key): no error answer")
            #expect(error["required"]?.sequence?.compactMap(\.string) == ["error"], "\(operation.key): errors are {error}")
        }
    }

    @Test("every $ref points at something")
    func references() throws {
        let references = document.references
        #expect(!references.isEmpty)
        for reference in Set(references) {
            #expect(throws: Never.self, "\(reference)") { _ = try document.lookUp(reference) }
        }
    }
}
