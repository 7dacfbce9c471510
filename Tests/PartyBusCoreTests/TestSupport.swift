import Foundation
import PartyBusCore

/// A fresh temporary folder for one test, removed when the value goes away.
final class TemporaryDirectory: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("partybus-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A demo payload for tests.
struct Ping: EventPayload, Equatable {
    static let eventType = "test.ping"
    var n: Int
}

func ping(_ n: Int, stream: String = "test") throws -> EventDraft {
    try EventDraft(stream: stream, payload: Ping(n: n))
}
