import CSQLite
import Foundation

/// The raw limit of this disk and SQLite: a plain C-API loop with the engine's schema, WAL and synchronous=FULL,
/// so the engine's figures can be printed as ratios to it.
enum RawSQLiteBaseline {
    /// The events table exactly as the engine creates it (schema version 3).
    static let schema = """
        PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
        CREATE TABLE events(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, stream TEXT NOT NULL, type TEXT NOT NULL,
            version INTEGER NOT NULL, source TEXT NOT NULL, correlation TEXT, payload TEXT NOT NULL);
        """

    /// Durable inserts per second in transactions of `batch` rows, for about `seconds`.
    static func inserts(path: String, batch: Int, seconds: Double, payload: String) -> Double {
        var db: OpaquePointer?
        sqlite3_open(path, &db)
        defer { sqlite3_close(db) }
        sqlite3_exec(db, schema, nil, nil, nil)
        var statement: OpaquePointer?
        sqlite3_prepare_v2(
            db, "INSERT INTO events(seq, at, stream, type, version, source, correlation, payload) VALUES (?,?,?,?,?,?,?,?)",
            -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        var seq: Int64 = 0
        let start = ContinuousClock.now
        let limit = Duration.seconds(seconds)
        while ContinuousClock.now - start < limit {
            sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil)
            for _ in 0..<batch {
                seq += 1
                sqlite3_bind_int64(statement, 1, seq)
                sqlite3_bind_int64(statement, 2, 1_700_000_000_000)
                pb_sqlite3_bind_text_copy(statement, 3, "bench/1", -1)
                pb_sqlite3_bind_text_copy(statement, 4, "bench.append", -1)
                sqlite3_bind_int64(statement, 5, 1)
                pb_sqlite3_bind_text_copy(statement, 6, "live", -1)
                sqlite3_bind_null(statement, 7)
                pb_sqlite3_bind_text_copy(statement, 8, payload, -1)
                sqlite3_step(statement)
                sqlite3_reset(statement)
            }
            sqlite3_exec(db, "COMMIT", nil, nil, nil)
        }
        return Double(seq) / (ContinuousClock.now - start).seconds
    }

    /// Rows per second of a plain scan reading every column (no copies).
    static func scan(path: String) -> (rows: Int, perSecond: Double) {
        var db: OpaquePointer?
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil)
        defer { sqlite3_close(db) }
        var statement: OpaquePointer?
        sqlite3_prepare_v2(
            db, "SELECT seq, at, stream, type, version, source, correlation, payload FROM events ORDER BY seq", -1,
            &statement, nil)
        defer { sqlite3_finalize(statement) }
        var rows = 0
        var checksum = 0
        let start = ContinuousClock.now
        while sqlite3_step(statement) == SQLITE_ROW {
            checksum &+= Int(sqlite3_column_int64(statement, 0))
            checksum &+= Int(sqlite3_column_bytes(statement, 2)) + Int(sqlite3_column_bytes(statement, 3))
            checksum &+= Int(sqlite3_column_bytes(statement, 5)) + Int(sqlite3_column_bytes(statement, 7))
            _ = sqlite3_column_text(statement, 2)
            _ = sqlite3_column_text(statement, 7)
            rows += 1
        }
        precondition(checksum != 0 || rows == 0)
        return (rows, Double(rows) / (ContinuousClock.now - start).seconds)
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
