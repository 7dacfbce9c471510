import Foundation
@testable import PartyBusDaemon
import PartyBusTestSupport
import Testing

/// A JSON number as decoded by JSONSerialization (an `Int` or an `NSNumber`, depending on the platform).
private func int(_ value: Any?) -> Int? { (value as? Int) ?? (value as? NSNumber)?.intValue }
/// A JSON boolean as decoded by JSONSerialization.
private func bool(_ value: Any?) -> Bool? { (value as? Bool) ?? (value as? NSNumber)?.boolValue }

/// The graph routes: plain names only, problems with their line and column, saving only what checks out.
@Suite("Graph routes: list, read, check, save", .serialized, .timeLimit(.minutes(2)))
struct GraphRoutesTests {
    @Test("a graph file name is plain: no '/', no '..', no hidden file, .yaml or .yml")
    func plainNames() {
        for good in ["party-voice.yaml", "obs.yml", "My_Graph.2.yaml", "a.yaml"] { #expect(GraphFolder.isPlainName(good), "\(good)") }
        for bad in [
            "", "../party-voice.yaml", "a/b.yaml", "..yaml", ".hidden.yaml", "x.txt", "x.yaml/", "x..yaml", "/etc/x.yaml",
            "x y.yaml", "é.yaml", String(repeating: "a", count: 100) + ".yaml", "x.yaml\u{0}", "-x.yaml",
        ] {
            #expect(!GraphFolder.isPlainName(bad), "\(bad)")
        }
    }

    @Test("names that are not plain are refused with 400 before any file is touched; a missing file is 404")
    func refusedNames() async throws {
        let graphs = try GraphFixture()
        try await DaemonFixture.run(signedIn: false, voiceGraph: graphs.voiceGraph) { fixture in
            for path in ["/v1/graphs/..%2Fparty-voice.yaml", "/v1/graphs/a%2Fb.yaml", "/v1/graphs/.hidden.yaml", "/v1/graphs/x.txt"] {
                let read = try await fixture.call("GET", path)
                #expect(read.status == 400, "\(path): \(read.text)")
                #expect(read.errorMessage?.contains("is not a graph file name") == true, "\(read.text)")
                let write = try await fixture.call("PUT", path, json: ["text": try graphs.text("obs.yaml")])
                #expect(write.status == 400, "\(path): \(write.text)")
            }
            #expect(!FileManager.default.fileExists(atPath: graphs.directory.path("party-voice.yaml")))
            let missing = try await fixture.call("GET", "/v1/graphs/nope.yaml")
            #expect(missing.status == 404, "\(missing.text)")
            let huge = try await fixture.call("POST", "/v1/graphs/check", json: ["text": String(repeating: "#", count: 300_000)])
            #expect(huge.status == 400 && huge.errorMessage?.contains("'text'") == true, "\(huge.text)")
        }
    }

    @Test("a broken graph's problems carry the line and column where they were written")
    func problemsInPlace() async throws {
        let graphs = try GraphFixture()
        try await DaemonFixture.run(signedIn: false, voiceGraph: graphs.voiceGraph) { fixture in
            let text = try graphs.text("headless-test.yaml")
            let broken = text.replacingOccurrences(of: "element: wavenc", with: "element: nosuchwavenc")
            let lines = broken.components(separatedBy: "\n")
            let line = try #require(lines.firstIndex { $0.contains("nosuchwavenc") }) + 1
            let column = try #require(lines[line - 1].range(of: "nosuchwavenc")).lowerBound.utf16Offset(in: lines[line - 1]) + 1
            let answer = try await fixture.call("POST", "/v1/graphs/check", json: ["text": broken]).object()
            #expect(bool(answer["ok"]) == false)
            let problems = try #require(answer["problems"] as? [[String: Any]])
            let problem = try #require(problems.first { ($0["message"] as? String)?.contains("nosuchwavenc") == true }, "\(problems)")
            #expect(int(problem["line"]) == line)
            #expect(int(problem["column"]) == column)

            // YAML that does not parse: still a place.
            let garbled = try await fixture.call("POST", "/v1/graphs/check", json: ["text": "graph: x\nnodes: [\n  {"]).object()
            let syntax = try #require((garbled["problems"] as? [[String: Any]])?.first)
            #expect(int(syntax["line"]) != nil, "\(syntax)")

            // The good one checks out.
            let good = try await fixture.call("POST", "/v1/graphs/check", json: ["text": text]).object()
            #expect(bool(good["ok"]) == true, "\(good)")
            #expect((good["problems"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("PUT saves only a graph that checks out: 422 with the problems and the file untouched otherwise")
    func saveOnlyWhenValid() async throws {
        let graphs = try GraphFixture()
        try await DaemonFixture.run(signedIn: false, voiceGraph: graphs.voiceGraph) { fixture in
            let before = try graphs.text("obs.yaml")
            let broken = before + "\nbogus: 1\n"
            let refused = try await fixture.call("PUT", "/v1/graphs/obs.yaml", json: ["text": broken])
            #expect(refused.status == 422, "\(refused.text)")
            let body = try refused.object()
            #expect((body["error"] as? String)?.hasPrefix("not saved: 1 problem") == true, "\(body)")
            #expect(((body["problems"] as? [[String: Any]])?.first?["message"] as? String)?.contains("bogus") == true)
            #expect(try graphs.text("obs.yaml") == before)

            let created = try await fixture.call("PUT", "/v1/graphs/copy.yml", json: ["text": before])
            #expect(created.status == 200, "\(created.text)")
            #expect(try graphs.text("copy.yml") == before)
            let listing = try await fixture.call("GET", "/v1/graphs").object()
            let entries = listing["graphs"] as? [[String: Any]] ?? []
            #expect(entries.contains { $0["name"] as? String == "copy.yml" && bool($0["ok"]) == true }, "\(entries)")
            #expect(listing["folder"] as? String == graphs.folder.standardizedFileURL.path)
        }
    }
}
