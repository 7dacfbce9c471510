import Foundation
import PartyBusTestSupport

/// A copy of the shipped graphs (`pipelines/*.yaml`) in a temporary folder, for the graph routes to list and edit.
struct GraphFixture: Sendable {
    /// The temporary folder that holds `pipelines/`.
    let directory: TemporaryDirectory
    /// `<tmp>/pipelines`.
    var folder: URL { directory.url.appendingPathComponent("pipelines") }
    /// `voice.graph` for the copy: its headless-test.yaml.
    var voiceGraph: String { folder.appendingPathComponent("headless-test.yaml").path }

    /// The repository's `pipelines/` folder.
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../pipelines").standardized

    /// Copies every shipped graph.
    init() throws {
        directory = try TemporaryDirectory()
        try FileManager.default.copyItem(at: Self.shipped, to: directory.url.appendingPathComponent("pipelines"))
    }

    /// A file's text in the copy.
    func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }
}
