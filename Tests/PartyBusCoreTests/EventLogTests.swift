import CSQLite
import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

@Suite("Event log")
struct EventLogTests {
    @Test("appends get consecutive seqs and read back byte for byte")
    func appendAndRead() async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"))
        let first = try await log.append(ping(1))
        let more = try await log.append(contentsOf: [ping(2), ping(3, stream: "other")])
        #expect(first.seq == 1)
        #expect(more.map(\.seq) == [2, 3])
        #expect(log.head == 3)
        let all = try log.read()
        #expect(all.map(\.seq) == [1, 2, 3])
        #expect(try all[1].decode(Ping.self) == Ping(n: 2))
        #expect(try log.read(filter: EventFilter(streams: ["oth*"])).map(\.seq) == [3])
        #expect(try log.read(filter: EventFilter(types: ["nope.*"])).isEmpty)
        #expect(try log.event(at: 2)?.payloadText == #"{"n":2}"#)
        log.close()
        // Reopening keeps everything and continues the sequence.
        let reopened = try EventLog(path: dir.path("events.sqlite"))
        #expect(reopened.head == 3)
        #expect(try await reopened.append(ping(4)).seq == 4)
        #expect(try reopened.integrityCheck() == ["ok"])
    }

    @Test(
        "concurrent appends are all durable, unique and gap-free, with and without a group-commit window",
        arguments: [Duration.microseconds(200), .zero])
    func concurrentAppends(window: Duration) async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"), options: .init(groupCommitWindow: window))
        let seqs = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for writer in 0..<16 {
                group.addTask {
                    var mine: [UInt64] = []
                    for n in 0..<200 { mine.append(try await log.append(ping(writer * 1000 + n)).seq) }
                    return mine
                }
            }
            var all: [UInt64] = []
            for try await part in group {
                #expect(part == part.sorted())
                all += part
            }
            return all
        }
        #expect(seqs.sorted() == Array(1...3200))
        #expect(try log.stats().count == 3200)
        // Sixteen appenders in flight share transactions either way (fewer commits than appends).
        #expect(log.commitCount < 3200)
        #expect(try log.integrityCheck() == ["ok"])
    }

    @Test("a catch-up subscriber sees every event exactly once, in order, while appends go on")
    func catchUpSubscription() async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"), options: .init(pageSize: 64))
        for n in 0..<500 { try await log.append(ping(n)) }
        let total = 5000
        let subscription = log.subscribe(from: 1, bufferCapacity: 32)
        async let received: [UInt64] = {
            var seen: [UInt64] = []
            for try await event in subscription {
                seen.append(event.seq)
                if seen.count == total { break }
            }
            return seen
        }()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for n in 0..<((total - 500) / 4) { try await log.append(ping(writer * 10_000 + n)) }
                }
            }
            try await group.waitForAll()
        }
        let seen = try await received
        #expect(seen == Array(1...UInt64(total)))
    }

    @Test("a live subscriber that falls behind overflows to reading the log and still gets everything once")
    func overflowFallsBackToTheLog() async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"))
        try await log.append(ping(0))
        let subscription = log.subscribe(from: 1, bufferCapacity: 4)
        #expect(try await subscription.nextBatch()?.map(\.seq) == [1])
        // Asking for more after catching up makes it live.
        let waiter = Task { try await subscription.nextBatch(maxCount: 1) }
        #expect(await eventually { log.liveSubscriptionCount == 1 })
        try await log.append(ping(1))
        #expect(try await waiter.value?.map(\.seq) == [2])
        // Live, and nobody consuming: far more than the buffer holds.
        for n in 2...50 { try await log.append(ping(n)) }
        #expect(subscription.overflowCount >= 1)
        #expect(log.liveSubscriptionCount == 0)
        var seen: [UInt64] = []
        var iterator = subscription.makeAsyncIterator()
        while seen.count < 49, let event = try await iterator.next() { seen.append(event.seq) }
        #expect(seen == Array(3...51))
        // It catches up and goes live again: a new event arrives without another overflow.
        let overflows = subscription.overflowCount
        let next = Task { [iterator] in
            var iterator = iterator
            return try await iterator.next()?.seq
        }
        #expect(await eventually { log.liveSubscriptionCount == 1 })
        try await log.append(ping(99))
        #expect(try await next.value == 52)
        #expect(subscription.overflowCount == overflows)
    }

    @Test("a filtered subscription from the middle gets only matching events")
    func filteredSubscription() async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"))
        for n in 0..<100 { try await log.append(ping(n, stream: n % 2 == 0 ? "even" : "odd")) }
        let subscription = log.subscribe(from: 50, filter: EventFilter(streams: ["even"]))
        var seen: [UInt64] = []
        for try await event in subscription {
            seen.append(event.seq)
            if seen.count == 25 { break }
        }
        #expect(seen == Array(stride(from: 51, through: 99, by: 2)))
    }

    @Test("checkpoints are saved with the next transaction")
    func checkpoints() async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"))
        log.saveCheckpoint(41, for: "alpha")
        log.saveCheckpoint(42, for: "alpha")
        try await log.flush()
        #expect(try log.checkpoint(for: "alpha") == 42)
        #expect(try log.checkpoint(for: "beta") == nil)
    }

    @Test("a file that is not a database is refused with its path")
    func notADatabase() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("garbage.sqlite")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try EventLog(path: path)
        } throws: { error in
            "\(error)".contains(path)
        }
    }

    @Test("a secret never reaches the database file")
    func secretRedaction() async throws {
        struct SignedIn: EventPayload {
            static let eventType = "auth.signed_in"
            var account: String
            var accessToken: Secret
        }
        let dir = try TemporaryDirectory()
        let path = dir.path("events.sqlite")
        let token = "eyJhbGciOiJSUzI1NiJ9.SUPER-SECRET-TOKEN-VALUE-1234567890"
        let log = try EventLog(path: path)
        try await log.append(EventDraft(stream: "auth", payload: SignedIn(account: "me", accessToken: Secret(token))))
        log.close()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        if let wal = try? Data(contentsOf: URL(fileURLWithPath: path + "-wal")) { bytes.append(wal) }
        #expect(bytes.range(of: Data(token.utf8)) == nil)
        #expect(bytes.range(of: Data("SUPER-SECRET".utf8)) == nil)
        #expect(bytes.range(of: Data(Secret.redactedMarker.utf8)) != nil)
        #expect("\(Secret(token))" == "<redacted>")
        #expect(String(reflecting: Secret(token)).contains("SUPER") == false)
    }
}

@Suite("Event log schema")
struct EventLogSchemaTests {
    @Test("a log at schema version 1 is migrated to the current version, keeping its events")
    func migratesOldLog() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("old.sqlite")
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        let v1 = """
            CREATE TABLE schema_version(version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
            CREATE TABLE events(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, stream TEXT NOT NULL, type TEXT NOT NULL,
                version INTEGER NOT NULL, source TEXT NOT NULL, correlation TEXT, payload TEXT NOT NULL);
            CREATE TABLE checkpoints(plugin TEXT PRIMARY KEY, seq INTEGER NOT NULL);
            INSERT INTO events VALUES (1, 1000, 'test', 'test.ping', 1, 'live', NULL, '{"n":1}');
            INSERT INTO checkpoints VALUES ('old-plugin', 1);
            """
        #expect(sqlite3_exec(db, v1, nil, nil, nil) == SQLITE_OK)
        sqlite3_close(db)

        let log = try EventLog(path: path)
        #expect(log.head == 1)
        #expect(try log.event(at: 1)?.payloadText == #"{"n":1}"#)
        #expect(try log.checkpoint(for: "old-plugin") == 1)
        log.saveCheckpoint(2, for: "old-plugin")
        try await log.append(ping(2))
        #expect(try log.checkpoint(for: "old-plugin") == 2)
        log.close()
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        var statement: OpaquePointer?
        sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &statement, nil)
        #expect(sqlite3_step(statement) == SQLITE_ROW)
        #expect(sqlite3_column_int64(statement, 0) == 3)
        sqlite3_finalize(statement)
        sqlite3_close(db)
    }

    @Test("a log from a newer engine, or another program's database, is refused with a reason")
    func refusesForeignSchemas() throws {
        let dir = try TemporaryDirectory()
        var db: OpaquePointer?
        let newer = dir.path("newer.sqlite")
        sqlite3_open(newer, &db)
        sqlite3_exec(db, "CREATE TABLE schema_version(version INTEGER NOT NULL); INSERT INTO schema_version VALUES (99);", nil, nil, nil)
        sqlite3_close(db)
        #expect { try EventLog(path: newer) } throws: { "\($0)".contains("schema version 99 is newer") }
        let foreign = dir.path("foreign.sqlite")
        sqlite3_open(foreign, &db)
        sqlite3_exec(db, "CREATE TABLE recipes(name TEXT);", nil, nil, nil)
        sqlite3_close(db)
        #expect { try EventLog(path: foreign) } throws: { "\($0)".contains("not a PartyBus event log") }
    }
}
