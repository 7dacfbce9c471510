public import Foundation
import Metrics
public import PartyBusPluginAPI

/// The append-only, durable SQLite log every event goes through before anything reacts to it.
///
/// SQLite in WAL mode with `synchronous=FULL`: `append` returns only after the event's transaction is on disk.
/// Concurrent appends share one transaction and one fsync (group commit). Reads run on a pool of connections in
/// parallel with the writer; subscriptions catch up from the log and then follow live commits.
public final class EventLog: Sendable {
    /// How the log is opened.
    public struct Options: Sendable {
        /// Milliseconds since 1970 for `at` (tests fix it).
        public var clock: @Sendable () -> Int64
        /// Events read per page by catch-up subscriptions.
        public var pageSize: Int
        /// SQLite's `synchronous` setting for the writer.
        public var synchronous: Synchronous
        /// The SQLite VFS to open the files with (nil: the default). Power-loss tests name a VFS that models a
        /// disk cache.
        public var vfs: String?
        /// Group commit: after a commit, how long the writer may keep the next transaction open for most of that
        /// batch's appenders to append again before it commits (0, the default: commit at once). Waiting gathers one bigger batch per fsync;
        /// not waiting overlaps the appenders' round trip with the next commit (docs/eventlog.md, "Group commit").
        public var groupCommitWindow: Duration

        /// The defaults: wall clock, 4096-event pages, synchronous=FULL, the default VFS.
        public init(
            clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
            pageSize: Int = 4096, synchronous: Synchronous = .full, vfs: String? = nil,
            groupCommitWindow: Duration = .zero
        ) {
            self.clock = clock
            self.pageSize = pageSize
            self.synchronous = synchronous
            self.vfs = vfs
            self.groupCommitWindow = groupCommitWindow
        }
    }

    /// When the writer waits for the disk.
    public enum Synchronous: String, Sendable, CaseIterable {
        /// Every commit is synced: an acknowledged append survives a power cut (the default).
        case full
        /// Commits survive a crash of the process, not of the machine (WAL synced at checkpoints only).
        case normal
        /// Never synced: for scratch logs (replay) and for the power-loss test that must be able to fail.
        case off
    }

    /// The database file.
    public let path: String
    private let options: Options
    private let hub: LiveHub
    private let reader: EventLogReader
    /// nil for a log opened read-only.
    private let writer: EventLogWriter?

    /// Opens the log at `path` for writing, creating it (0600) and its folder (0700) when missing, and migrating
    /// its schema. Only one process may write a log: the daemon holds the data folder's lock (`DataFolderLock`),
    /// and the writer stops with `EventLogError.headMoved` if it ever finds rows it did not write.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self.options = options
        try PrivateFiles.prepareFolder(of: path)
        try PrivateFiles.createFile(path)
        let connection = try SQLiteConnection(path: path, create: true, vfs: options.vfs)
        do {
            let mode = try connection.prepare("PRAGMA journal_mode=WAL")
            _ = try mode.step()
            if mode.string(0) != "wal" {
                throw EventLogError("\(path): cannot switch to WAL mode (got \(mode.string(0) ?? "nothing"))")
            }
        } catch let error as SQLiteError {
            throw EventLogError("\(path): not a usable SQLite database: \(error.message)")
        }
        try connection.execute("PRAGMA synchronous=\(options.synchronous.rawValue.uppercased())")
        try connection.execute(EventLogTuning.writerPragmas)
        try EventLogSchema.migrate(connection)
        let head = UInt64(try connection.scalarInt("SELECT coalesce(max(seq), 0) FROM events") ?? 0)
        hub = LiveHub(head: head)
        reader = EventLogReader(path: path, vfs: options.vfs)
        let window = options.groupCommitWindow.components
        writer = try EventLogWriter(
            connection: connection, hub: hub, head: head,
            fillWindow: max(0, Double(window.seconds) + Double(window.attoseconds) / 1e18), clock: options.clock)
    }

    /// Opens an existing log read-only (commands that only read it while a daemon may be writing): appends fail,
    /// `head` is read from the file each time, and subscriptions see only what was committed when they caught up.
    public init(readingOnly path: String, options: Options = Options()) throws {
        self.path = path
        self.options = options
        guard FileManager.default.fileExists(atPath: path) else {
            throw EventLogError("\(path): no event log here yet (start `partybus up`, or check --data-dir)")
        }
        let probe: SQLiteConnection
        do {
            probe = try SQLiteConnection(path: path, create: false, readOnly: true, vfs: options.vfs)
            _ = try probe.scalarInt("SELECT count(*) FROM sqlite_master")
        } catch let error as SQLiteError {
            throw EventLogError("\(path): not a usable SQLite database: \(error.message)")
        }
        guard try probe.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'") == 1 else {
            throw EventLogError("\(path): not a PartyBus event log (no events table)")
        }
        let head = UInt64(try probe.scalarInt("SELECT coalesce(max(seq), 0) FROM events") ?? 0)
        hub = LiveHub(head: head)
        reader = EventLogReader(path: path, readOnly: true, vfs: options.vfs)
        writer = nil
    }

    /// Transactions the writer has committed since the log was opened (0 when read-only); appends ÷ commits is the
    /// mean group-commit size.
    public var commitCount: UInt64 { writer?.commitCount ?? 0 }

    /// True when opened with `init(readingOnly:)`.
    public var isReadOnly: Bool { writer == nil }

    /// Why the writer stopped for good (another process wrote to the log under it), or nil while it is healthy.
    public var writerFailure: EventLogError? { writer?.failure }

    /// How many subscriptions are following live commits now (the others are reading the log to catch up).
    public var liveSubscriptionCount: Int { hub.liveCount }

    /// The seq of the last durable event (0 for an empty log); for a read-only log, as the file says now.
    public var head: UInt64 {
        guard writer == nil else { return hub.head }
        return (try? reader.withConnection { try $0.scalarInt("SELECT coalesce(max(seq), 0) FROM events") })
            .flatMap { $0 }.map(UInt64.init) ?? hub.head
    }

    /// Appends one event; returns it with its seq once it is durable.
    @discardableResult
    public func append(_ draft: EventDraft) async throws -> Event {
        let writer = try writable()
        let started = ContinuousClock.now
        let event: Event = try await withUnsafeThrowingContinuation { continuation in
            writer.enqueue(.one(draft, continuation))
        }
        EventLogMetrics.appended(1, since: started)
        return event
    }

    /// Appends events in order, in one transaction; returns them once they are durable.
    @discardableResult
    public func append(contentsOf drafts: [EventDraft]) async throws -> [Event] {
        if drafts.isEmpty { return [] }
        let writer = try writable()
        let started = ContinuousClock.now
        let events: [Event] = try await withUnsafeThrowingContinuation { continuation in
            writer.enqueue(.many(drafts, continuation))
        }
        EventLogMetrics.appended(events.count, since: started)
        return events
    }

    /// Waits until everything queued so far (events and checkpoints) is durable.
    public func flush() async throws {
        let writer = try writable()
        try await withUnsafeThrowingContinuation { continuation in
            writer.enqueue(.barrier(continuation))
        }
    }

    /// Events with `from <= seq <= to` matching `filter`, oldest first, at most `limit`.
    public func read(
        from: UInt64 = 1, to: UInt64 = .max, filter: EventFilter = .all, limit: Int = 10_000
    ) throws -> [Event] {
        try reader.read(from: from, to: to, filter: filter, limit: limit)
    }

    /// The last `count` events matching `filter`, oldest first.
    public func readLast(_ count: Int, filter: EventFilter = .all) throws -> [Event] {
        try reader.readLast(count, filter: filter)
    }

    /// The event at `seq`, if any.
    public func event(at seq: UInt64) throws -> Event? {
        try reader.read(from: seq, to: seq, filter: .all, limit: 1).first
    }

    /// Every matching event from `from` on: first those in the log, then live ones as they commit.
    public func subscribe(from: UInt64, filter: EventFilter = .all, bufferCapacity: Int = 1024) -> EventSubscription {
        EventSubscription(
            core: SubscriptionCore(
                from: from, filter: filter, capacity: bufferCapacity, pageSize: options.pageSize, hub: hub,
                reader: reader))
    }

    /// The last seq a plugin saved as handled.
    public func checkpoint(for plugin: String) throws -> UInt64? {
        try reader.checkpoint(for: plugin)
    }

    /// Saves a plugin's checkpoint; it is written with the next transaction (`flush` waits for it).
    public func saveCheckpoint(_ seq: UInt64, for plugin: String) {
        writer?.saveCheckpoint(seq, for: plugin)
    }

    /// Counts by type and stream, time range, file size, checkpoints.
    public func stats() throws -> EventLogStats {
        try reader.withConnection { connection in
            let summary = try connection.prepare(
                "SELECT count(*), coalesce(min(seq),0), coalesce(max(seq),0) FROM events")
            _ = try summary.step()
            let first = UInt64(summary.int64(1))
            let last = UInt64(summary.int64(2))
            func at(_ seq: UInt64) throws -> Int64 {
                try connection.scalarInt("SELECT at FROM events WHERE seq = \(seq)") ?? 0
            }
            func counts(_ column: String) throws -> [EventLogStats.Count] {
                let statement = try connection.prepare(
                    "SELECT \(column), count(*) AS n FROM events GROUP BY \(column) ORDER BY n DESC, \(column)")
                var result: [EventLogStats.Count] = []
                while try statement.step() {
                    result.append(.init(name: statement.string(0) ?? "", count: UInt64(statement.int64(1))))
                }
                return result
            }
            let size = [path, path + "-wal"].compactMap {
                (try? FileManager.default.attributesOfItem(atPath: $0))?[.size] as? Int64
            }.reduce(0, +)
            return EventLogStats(
                count: UInt64(summary.int64(0)), firstSeq: first, lastSeq: last, firstAt: try at(first),
                lastAt: try at(last), byType: try counts("type"), byStream: try counts("stream"), fileBytes: size,
                checkpoints: try reader.checkpoints())
        }
    }

    /// Checks the database with SQLite's integrity check; returns its findings (`["ok"]` when healthy).
    public func integrityCheck() throws -> [String] {
        try reader.withConnection { connection in
            let statement = try connection.prepare("PRAGMA integrity_check")
            var lines: [String] = []
            while try statement.step() { lines.append(statement.string(0) ?? "") }
            return lines
        }
    }

    /// Writes what is queued, stops the writer and closes the files; later appends fail (reads reopen).
    public func close() {
        writer?.close()
        reader.closeIdle()
    }

    private func writable() throws -> EventLogWriter {
        guard let writer else { throw EventLogError("\(path): opened read-only; only the daemon appends") }
        return writer
    }

    deinit { writer?.close() }
}
