import CSQLite
import Foundation
import PartyBusPluginAPI
import Synchronization

/// Read access to the log through a small pool of connections (WAL lets them read while the writer commits).
final class EventLogReader: Sendable {
    private let path: String
    private let readOnly: Bool
    private let vfs: String?
    private let pool = Mutex<[SQLiteConnection]>([])

    init(path: String, readOnly: Bool = false, vfs: String? = nil) {
        self.path = path
        self.readOnly = readOnly
        self.vfs = vfs
    }

    /// A reader connection: memory-mapped reads (no copy through read(2)) and a larger page cache.
    private static func open(_ path: String, readOnly: Bool, vfs: String?) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path, create: false, readOnly: readOnly, vfs: vfs)
        try connection.execute(EventLogTuning.readerPragmas + "; PRAGMA query_only=1")
        return connection
    }

    /// Closes the idle connections (reads after this open new ones).
    func closeIdle() {
        let idle = pool.withLock { pool in
            defer { pool.removeAll() }
            return pool
        }
        idle.forEach { $0.close() }
    }

    /// Runs `body` with a connection from the pool.
    func withConnection<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let connection = try pool.withLock { $0.popLast() } ?? EventLogReader.open(path, readOnly: readOnly, vfs: vfs)
        defer { pool.withLock { if $0.count < 8 { $0.append(connection) } } }
        return try body(connection)
    }

    /// Events with `from <= seq <= to` that match `filter`, in order, at most `limit`.
    func read(from: UInt64, to: UInt64, filter: EventFilter, limit: Int) throws -> [Event] {
        let clause = EventRowReader.whereClause(for: filter)
        let sql =
            "SELECT \(EventRowReader.columns) FROM events WHERE seq >= ? AND seq <= ?\(clause.sql) "
            + "ORDER BY seq LIMIT ?"
        return try withConnection { connection in
            let statement = try connection.prepare(sql)
            statement.bind(1, Int64(clamping: from))
            statement.bind(2, Int64(clamping: to))
            var index: Int32 = 3
            for binding in clause.bindings {
                statement.bind(index, binding)
                index += 1
            }
            statement.bind(index, Int64(limit))
            var events: [Event] = []
            events.reserveCapacity(min(limit, 4096))
            var memo = EventRowReader.StringMemo()
            while try statement.step() {
                events.append(EventRowReader.event(from: statement, memo: &memo))
            }
            return events
        }
    }

    /// The last `count` events matching `filter` (oldest first).
    func readLast(_ count: Int, filter: EventFilter) throws -> [Event] {
        let clause = EventRowReader.whereClause(for: filter)
        let sql =
            "SELECT \(EventRowReader.columns) FROM events WHERE 1\(clause.sql) ORDER BY seq DESC LIMIT ?"
        return try withConnection { connection in
            let statement = try connection.prepare(sql)
            var index: Int32 = 1
            for binding in clause.bindings {
                statement.bind(index, binding)
                index += 1
            }
            statement.bind(index, Int64(count))
            var events: [Event] = []
            var memo = EventRowReader.StringMemo()
            while try statement.step() { events.append(EventRowReader.event(from: statement, memo: &memo)) }
            return events.reversed()
        }
    }

    /// The saved checkpoint of a plugin.
    func checkpoint(for plugin: String) throws -> UInt64? {
        try withConnection { connection in
            let statement = try connection.prepare("SELECT seq FROM checkpoints WHERE plugin = ?")
            statement.bind(1, plugin)
            return try statement.step() ? UInt64(statement.int64(0)) : nil
        }
    }

    /// Every saved checkpoint.
    func checkpoints() throws -> [String: UInt64] {
        try withConnection { connection in
            let statement = try connection.prepare("SELECT plugin, seq FROM checkpoints")
            var result: [String: UInt64] = [:]
            while try statement.step() { result[statement.string(0) ?? ""] = UInt64(statement.int64(1)) }
            return result
        }
    }
}
