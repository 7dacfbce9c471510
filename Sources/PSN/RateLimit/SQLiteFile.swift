import CSQLite
import Foundation

/// A minimal SQLite connection for the rate-limit file (PartyBusCore's connection type is internal to Core).
/// Not thread-safe: its owner serialises every use. Busy waits are never done inside SQLite (no busy timeout):
/// a locked database answers `SQLITE_BUSY` at once and the caller sleeps with `Task.sleep`.
final class SQLiteFile {
    /// An SQLite failure: the primary result code and SQLite's message, prefixed with the file.
    struct Failure: Error, CustomStringConvertible {
        /// Primary result code (`SQLITE_BUSY`, `SQLITE_NOTADB` …).
        var code: Int32
        /// What SQLite said.
        var message: String

        var description: String { message }
        /// Another connection holds the lock.
        var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
        /// The file is not a database or is damaged.
        var isGarbage: Bool { code == SQLITE_NOTADB || code == SQLITE_CORRUPT }
    }

    /// The database file.
    let path: String
    private let handle: OpaquePointer

    /// Opens (creating) the database at `path`.
    init(path: String) throws(Failure) {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw Failure(code: rc & 0xff, message: "\(path): cannot open: \(message)")
        }
        handle = db
        self.path = path
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs SQL without results (several statements allowed).
    func execute(_ sql: String) throws(Failure) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        if rc != SQLITE_OK { throw failure(rc, sql) }
    }

    /// Runs one statement with integer parameters; returns its rows' integer columns (NULL as nil).
    @discardableResult
    func query(_ sql: String, _ parameters: [Int64] = []) throws(Failure) -> [[Int64?]] {
        var statement: OpaquePointer?
        let prepared = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard prepared == SQLITE_OK, let statement else { throw failure(prepared, sql) }
        defer { sqlite3_finalize(statement) }
        for (index, value) in parameters.enumerated() {
            let bound = sqlite3_bind_int64(statement, Int32(index + 1), value)
            if bound != SQLITE_OK { throw failure(bound, sql) }
        }
        var rows: [[Int64?]] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else { throw failure(rc, sql) }
            rows.append((0..<sqlite3_column_count(statement)).map { column in
                sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, column)
            })
        }
    }

    /// True when the file this connection opened was renamed or unlinked since (`SQLITE_FCNTL_HAS_MOVED`); SQLite
    /// keeps its descriptor open, so the inode cannot have been reused by a new file at the same path.
    func hasMoved() -> Bool {
        var moved: Int32 = 0
        let rc = sqlite3_file_control(handle, "main", SQLITE_FCNTL_HAS_MOVED, &moved)
        return rc != SQLITE_OK || moved != 0
    }

    private func failure(_ rc: Int32, _ sql: String) -> Failure {
        Failure(code: rc & 0xff, message: "\(path): \(String(cString: sqlite3_errmsg(handle))) (in: \(sql.prefix(40)))")
    }
}
