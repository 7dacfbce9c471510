import Foundation
import Logging
import PartyBusCore
import Synchronization

/// A fresh temporary folder for one test, removed when the value goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The folder.
    public let url: URL

    /// Makes the folder.
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("partybus-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the folder.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A payload for tests.
public struct Ping: EventPayload, Equatable {
    public static let eventType = "test.ping"
    /// A number.
    public var n: Int
    /// Makes one.
    public init(n: Int) { self.n = n }
}

/// A `test.ping` draft.
public func ping(_ n: Int, stream: String = "test") throws -> EventDraft {
    try EventDraft(stream: stream, payload: Ping(n: n))
}

/// A draft of any type with an empty payload.
public func draft(_ type: String, stream: String = "test") throws -> EventDraft {
    try EventDraft(stream: stream, type: type, payloadJSON: Data("{}".utf8))
}

/// Collects log lines in memory (swift-log handler), for tests that check what was logged.
public final class MemoryLog: Sendable {
    private let lines = Mutex<[String]>([])

    /// An empty log.
    public init() {}

    /// Everything logged so far.
    public var all: [String] { lines.withLock { $0 } }

    /// A logger that writes here.
    public func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in MemoryLogHandler(sink: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ line: String) { lines.withLock { $0.append(line) } }
}

struct MemoryLogHandler: LogHandler {
    let sink: MemoryLog
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        sink.append("\(event.level) \(event.message) \(merged.isEmpty ? "" : "\(merged)")")
    }
}

/// Where `swift build` put the products (the folder of the test bundle).
public var buildProductsDirectory: URL {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("partybus").path) {
        url = url.deletingLastPathComponent()
    }
    return url
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
public func eventually(timeout: Duration = .seconds(20), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try condition()
}
