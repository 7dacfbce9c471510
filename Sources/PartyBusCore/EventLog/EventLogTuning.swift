/// The SQLite settings the event log runs with, in one place so that benchmarks compare against a raw-SQLite loop
/// tuned exactly the same way.
public enum EventLogTuning {
    /// Pages in the WAL before SQLite checkpoints it into the database file.
    public static let walAutocheckpointPages = 4096
    /// The writer's page cache. Appends touch only the right edge of the table and of each index (the last leaf of
    /// every stream and type in use, and their parents: tens of pages), so SQLite's default 2000 KiB only filled,
    /// page by page, with pages never read again — about 1 KB per event until full (the soak's slow climb).
    public static let writerCacheKiB = 256
    /// The writer's settings after `PRAGMA synchronous=…`.
    public static let writerPragmas = "PRAGMA wal_autocheckpoint=\(walAutocheckpointPages); PRAGMA cache_size=-\(writerCacheKiB)"
    /// Each reader connection's settings: memory-mapped reads (no copy through read(2)) and a 16 MiB page cache.
    public static let readerPragmas = "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-16384"
}
