import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

@Suite("One writer per data folder")
struct OneWriterTests {
    @Test("a writer whose head moved under it stops with a clear error instead of colliding")
    func headMoved() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("events.sqlite")
        let first = try EventLog(path: path)
        defer { first.close() }
        try await first.append(try EventDraft(stream: "test", type: "test.one", payloadJSON: Data("{}".utf8)))
        // Another process (here: another connection) appends behind the first writer's back.
        let second = try EventLog(path: path)
        try await second.append(try EventDraft(stream: "test", type: "test.intruder", payloadJSON: Data("{}".utf8)))
        second.close()

        await #expect(throws: EventLogError.self) {
            try await first.append(try EventDraft(stream: "test", type: "test.two", payloadJSON: Data("{}".utf8)))
        }
        let failure = try #require(first.writerFailure)
        #expect(failure.message.contains("another process appended"))
        #expect(failure.message.contains("from 1 to 2"))
        // It stays stopped: no loop of retries that each fail.
        await #expect(throws: EventLogError.self) {
            try await first.append(try EventDraft(stream: "test", type: "test.three", payloadJSON: Data("{}".utf8)))
        }
        let reader = try EventLog(readingOnly: path)
        #expect(try reader.read().map(\.type) == ["test.one", "test.intruder"])
        #expect(try reader.integrityCheck() == ["ok"])
    }

    @Test("read-only logs refuse appends and see the writer's commits; folder 0700, files 0600")
    func readOnly() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("data/events.sqlite")
        #expect(throws: EventLogError.self) { try EventLog(readingOnly: path) }
        let writer = try EventLog(path: path)
        defer { writer.close() }
        try await writer.append(try EventDraft(stream: "test", type: "test.one", payloadJSON: Data("{}".utf8)))
        let reader = try EventLog(readingOnly: path)
        await #expect(throws: EventLogError.self) {
            try await reader.append(try EventDraft(stream: "test", type: "test.no", payloadJSON: Data("{}".utf8)))
        }
        try await writer.append(try EventDraft(stream: "test", type: "test.two", payloadJSON: Data("{}".utf8)))
        #expect(reader.head == 2)
        let folderMode = try FileManager.default.attributesOfItem(atPath: dir.path("data"))[.posixPermissions] as? Int
        #expect(folderMode == 0o700)
        for file in ["events.sqlite", "events.sqlite-wal"] {
            let mode = try FileManager.default.attributesOfItem(atPath: dir.path("data/\(file)"))[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file): \(String(mode ?? 0, radix: 8))")
        }
        let garbage = dir.path("garbage.sqlite")
        try Data("this is not a database, just text that goes on for a while....".utf8).write(to: URL(fileURLWithPath: garbage))
        #expect(throws: EventLogError.self) { try EventLog(readingOnly: garbage) }
    }

    @Test("the data folder lock: a second taker is refused with the holder's pid; released on deinit")
    func folderLock() throws {
        let dir = try TemporaryDirectory()
        let folder = URL(fileURLWithPath: dir.path("data"))
        var first: DataFolderLock? = try DataFolderLock(folder: folder, purpose: "partybus up")
        #expect(DataFolderLock.holder(of: folder)?.pid == getpid())
        do {
            _ = try DataFolderLock(folder: folder, purpose: "second")
            Issue.record("the second lock was granted")
        } catch let error as DataFolderLockError {
            #expect(error.kind == .held(pid: getpid()))
            #expect(error.message.contains("pid \(getpid())"))
        }
        _ = first
        first = nil
        #expect(DataFolderLock.holder(of: folder) == nil)
        _ = try DataFolderLock(folder: folder, purpose: "third")
    }
}
