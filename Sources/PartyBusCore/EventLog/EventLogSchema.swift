import CSQLite

/// The event log's tables and the migrations that build them, one step per schema version.
enum EventLogSchema {
    /// The schema version this engine writes.
    static let currentVersion: Int64 = 3

    /// Migrations in order; migration `i` takes the schema from version `i` to `i + 1`.
    static let migrations: [String] = [
        // 0 → 1: events and plugin checkpoints.
        """
        CREATE TABLE events(
            seq INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            stream TEXT NOT NULL,
            type TEXT NOT NULL,
            version INTEGER NOT NULL,
            source TEXT NOT NULL,
            correlation TEXT,
            payload TEXT NOT NULL
        );
        CREATE TABLE checkpoints(plugin TEXT PRIMARY KEY, seq INTEGER NOT NULL);
        """,
        // 1 → 2: when a checkpoint was saved, and indexes for stream and type filters.
        """
        ALTER TABLE checkpoints ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX events_by_stream ON events(stream, seq);
        CREATE INDEX events_by_type ON events(type, seq);
        """,
        // 2 → 3: drop those indexes. Measured (`partybus bench eventlog`, docs/eventlog.md): they cost more than
        // half of the durable append rate, while filtered reads scan by seq with GLOB at millions of rows/s.
        """
        DROP INDEX IF EXISTS events_by_stream;
        DROP INDEX IF EXISTS events_by_type;
        """,
    ]

    /// Brings the database at `connection` to `currentVersion`, or says why it cannot.
    static func migrate(_ connection: SQLiteConnection) throws {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let hasVersionTable =
                try connection.scalarInt(
                    "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'") == 1
            let tableCount = try connection.scalarInt("SELECT count(*) FROM sqlite_master") ?? 0
            var version: Int64 = 0
            if hasVersionTable {
                version = try connection.scalarInt("SELECT version FROM schema_version") ?? 0
            } else if tableCount > 0 {
                throw SQLiteError(
                    code: SQLITE_ERROR,
                    message: "\(connection.path): not a PartyBus event log (it has tables but no schema_version)")
            } else {
                try connection.execute("CREATE TABLE schema_version(version INTEGER NOT NULL); "
                    + "INSERT INTO schema_version VALUES (0);")
            }
            if version > currentVersion {
                throw SQLiteError(
                    code: SQLITE_ERROR,
                    message: "\(connection.path): event log schema version \(version) is newer than this "
                        + "engine's \(currentVersion); upgrade partybus")
            }
            while version < currentVersion {
                try connection.execute(migrations[Int(version)])
                version += 1
                try connection.execute("UPDATE schema_version SET version = \(version)")
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
