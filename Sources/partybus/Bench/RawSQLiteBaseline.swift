import CSQLite
import Foundation
import PartyBusCore

/// The raw limit of this disk and SQLite: a plain C-API loop over a database the engine itself created (same schema),
/// with the engine's own settings (`EventLogTuning`: WAL, synchronous=FULL, the same autocheckpoint; for reads the
/// same mmap and cache), so the engine's figures can be printed as like-for-like ratios. Every SQLite call's result
/// is checked: a baseline that silently failed would make any engine figure look good.
enum RawSQLiteBaseline {
    /// Durable inserts per second in transactions of `batch` rows, for about `seconds`.
    static func inserts(path: String, batch: Int, seconds: Double, payload: String) throws -> Double {
        try EventLog(path: path).close()
        let db = try open(path, flags: SQLITE_OPEN_READWRITE)
        defer { sqlite3_close(db) }
        try exec(db, "PRAGMA synchronous=FULL; " + EventLogTuning.writerPragmas)
        let statement = try prepare(
            db, "INSERT INTO events(seq, at, stream, type, version, source, correlation, payload) VALUES (?,?,?,?,?,?,?,?)")
        defer { sqlite3_finalize(statement) }
        var seq: Int64 = 0
        let start = ContinuousClock.now
        let limit = Duration.seconds(seconds)
        while ContinuousClock.now - start < limit {
            try exec(db, "BEGIN IMMEDIATE")
            for _ in 0..<batch {
                seq += 1
                var rc = sqlite3_bind_int64(statement, 1, seq)
                rc |= sqlite3_bind_int64(statement, 2, 1_700_000_000_000)
                rc |= pb_sqlite3_bind_text_copy(statement, 3, "bench/1", -1)
                rc |= pb_sqlite3_bind_text_copy(statement, 4, "bench.append", -1)
                rc |= sqlite3_bind_int64(statement, 5, 1)
                rc |= pb_sqlite3_bind_text_copy(statement, 6, "live", -1)
                rc |= sqlite3_bind_null(statement, 7)
                rc |= pb_sqlite3_bind_text_copy(statement, 8, payload, -1)
                guard rc == SQLITE_OK else { throw failure(db, "bind", path) }
                guard sqlite3_step(statement) == SQLITE_DONE else { throw failure(db, "insert", path) }
                guard sqlite3_reset(statement) == SQLITE_OK else { throw failure(db, "reset", path) }
            }
            try exec(db, "COMMIT")
        }
        return Double(seq) / (ContinuousClock.now - start).seconds
    }

    /// Rows per second of a plain scan with the engine's reader settings: reading every column in place, or with
    /// `copying`, also turning each row into Swift values the way an `Event` holds them (strings and the payload's
    /// bytes) — the like-for-like figure for a catch-up subscription, which must hand out values.
    static func scan(path: String, copying: Bool = false) throws -> (rows: Int, perSecond: Double) {
        let db = try open(path, flags: SQLITE_OPEN_READONLY)
        defer { sqlite3_close(db) }
        try exec(db, EventLogTuning.readerPragmas)
        let statement = try prepare(
            db, "SELECT seq, at, stream, type, version, source, correlation, payload FROM events ORDER BY seq")
        defer { sqlite3_finalize(statement) }
        var rows = 0
        var checksum = 0
        let start = ContinuousClock.now
        var rc = sqlite3_step(statement)
        while rc == SQLITE_ROW {
            checksum &+= Int(sqlite3_column_int64(statement, 0))
            checksum &+= Int(sqlite3_column_bytes(statement, 2)) + Int(sqlite3_column_bytes(statement, 3))
            checksum &+= Int(sqlite3_column_bytes(statement, 5)) + Int(sqlite3_column_bytes(statement, 7))
            if copying {
                let row = (
                    sqlite3_column_int64(statement, 0), sqlite3_column_int64(statement, 1), text(statement, 2),
                    text(statement, 3), sqlite3_column_int64(statement, 4), text(statement, 5),
                    sqlite3_column_type(statement, 6) == SQLITE_NULL ? nil : text(statement, 6), blob(statement, 7))
                checksum &+= row.2.utf8.count &+ row.7.count
            } else {
                _ = sqlite3_column_text(statement, 2)
                _ = sqlite3_column_text(statement, 7)
            }
            rows += 1
            rc = sqlite3_step(statement)
        }
        guard rc == SQLITE_DONE else { throw failure(db, "scan", path) }
        guard checksum != 0 || rows == 0 else { throw BenchFailure("\(path): the scan read rows but no bytes") }
        return (rows, Double(rows) / (ContinuousClock.now - start).seconds)
    }

    private static func text(_ statement: OpaquePointer, _ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    private static func blob(_ statement: OpaquePointer, _ column: Int32) -> Data {
        guard let bytes = sqlite3_column_text(statement, column) else { return Data() }
        return Data(bytes: bytes, count: Int(sqlite3_column_bytes(statement, column)))
    }

    private static func open(_ path: String, flags: Int32) throws -> OpaquePointer {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            sqlite3_close(db)
            throw BenchFailure("\(path): cannot open (\(String(cString: sqlite3_errstr(rc))))")
        }
        return db
    }

    private static func exec(_ db: OpaquePointer, _ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw failure(db, sql, "raw baseline") }
    }

    private static func prepare(_ db: OpaquePointer, _ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw failure(db, "prepare \(sql.prefix(40))", "raw baseline")
        }
        return statement
    }

    private static func failure(_ db: OpaquePointer, _ step: String, _ path: String) -> BenchFailure {
        BenchFailure("\(path): \(step): \(String(cString: sqlite3_errmsg(db)))")
    }
}

/// A benchmark that could not measure what it set out to, with the reason.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
