import CSQLite
import Foundation
import PartyBusPluginAPI

/// A prepared statement: bind, step, read columns, reset.
final class SQLiteStatement {
    let handle: OpaquePointer
    let connection: SQLiteConnection

    init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    private var finalized = false

    /// Finalizes now (the owner's thread only); later calls and the deinit do nothing. Nothing may use it after.
    func finalize() {
        guard !finalized else { return }
        finalized = true
        sqlite3_finalize(handle)
    }

    deinit { if !finalized { sqlite3_finalize(handle) } }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(handle, index)
            return
        }
        value.withUTF8 { bytes in
            _ = pb_sqlite3_bind_text_copy(
                handle, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                Int32(bytes.count))
        }
    }

    /// Binds UTF-8 bytes as TEXT.
    func bindText(_ index: Int32, _ data: Data) {
        if data.isEmpty {
            _ = pb_sqlite3_bind_text_copy(handle, index, "", 0)
            return
        }
        data.withUnsafeBytes { bytes in
            _ = pb_sqlite3_bind_text_copy(
                handle, index, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        }
    }

    /// Steps once: true when a row is ready, false when done.
    @discardableResult
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw connection.error(rc, "step")
    }

    /// Resets for another run and clears bindings.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func string(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column's text bytes, valid until the next step (no copy).
    func bytes(_ column: Int32) -> UnsafeBufferPointer<UInt8> {
        guard let text = sqlite3_column_text(handle, column) else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column)))
    }

    /// The event source stored in a column, read without making a string.
    func source(_ column: Int32) -> EventSource {
        switch bytes(column).first {
        case UInt8(ascii: "s"): .sim
        case UInt8(ascii: "r"): .replay
        default: .live
        }
    }

    func data(_ column: Int32) -> Data {
        guard let bytes = sqlite3_column_blob(handle, column) else { return Data() }
        return Data(bytes: bytes, count: Int(sqlite3_column_bytes(handle, column)))
    }
}
