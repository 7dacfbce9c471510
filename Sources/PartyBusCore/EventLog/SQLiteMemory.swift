import CSQLite

/// What SQLite holds in this process's heap, every connection together: page caches (each reader of the log keeps
/// up to `EventLogTuning`'s 16 MiB of pages it read, the WAL's among them), prepared statements and schemas.
public enum SQLiteMemory {
    /// Bytes SQLite has allocated and not yet freed (`sqlite3_memory_used`).
    public static var inUse: Int { Int(sqlite3_memory_used()) }
}
