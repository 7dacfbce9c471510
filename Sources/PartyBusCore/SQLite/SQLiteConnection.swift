import CSQLite
import Foundation

/// One SQLite connection, used by one thread at a time (the writer thread, or a reader taken from the pool).
final class SQLiteConnection: @unchecked Sendable {
    let handle: OpaquePointer
    let path: String

    /// Opens (and with `create`, creates) the database at `path`, through the VFS named `vfs` (nil: the default).
    init(path: String, create: Bool, readOnly: Bool = false, vfs: String? = nil) throws {
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX
        flags |= readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
        let rc = sqlite3_open_v2(path, &db, flags, vfs)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "\(path): cannot open: \(message)")
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 10_000)
    }

    private var closed = false

    /// Closes now, so the files are released at a known point (the owner's thread only, after finalizing its
    /// statements); the deinit then does nothing. Nothing may use the connection after.
    func close() {
        guard !closed else { return }
        closed = true
        sqlite3_close_v2(handle)
    }

    deinit { if !closed { sqlite3_close_v2(handle) } }

    /// Runs SQL without results (several statements allowed).
    func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc & 0xff, message: "\(path): \(message) (in: \(sql.prefix(60)))")
        }
    }

    /// Prepares one statement.
    func prepare(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw error(rc, "prepare \(sql.prefix(60))")
        }
        return SQLiteStatement(handle: statement, connection: self)
    }

    /// The first column of the first row of a query, as an integer (nil when there is no row).
    func scalarInt(_ sql: String) throws -> Int64? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.int64(0)
    }

    /// An error for result code `rc`, with SQLite's current message.
    func error(_ rc: Int32, _ doing: String) -> SQLiteError {
        SQLiteError(code: rc & 0xff, message: "\(path): \(doing): \(String(cString: sqlite3_errmsg(handle)))")
    }
}
