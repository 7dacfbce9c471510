import CSQLite
import Foundation
import PartyBusPluginAPI
import Synchronization

/// The single writer of the log: a dedicated thread that takes every append waiting at that moment, writes them
/// in one transaction with one fsync (group commit), then tells the live hub and resumes the appenders.
///
/// Appenders never block a thread: they enqueue and suspend; only this thread touches the write connection.
final class EventLogWriter: @unchecked Sendable {
    /// One queued request.
    enum Request {
        /// One event (the common case, kept free of arrays).
        case one(EventDraft, UnsafeContinuation<Event, any Error>)
        /// Several events, written in order in the same transaction.
        case many([EventDraft], UnsafeContinuation<[Event], any Error>)
        /// Answered once everything queued before it (events and checkpoints) is durable.
        case barrier(UnsafeContinuation<Void, any Error>)
    }

    private let connection: SQLiteConnection
    private let hub: LiveHub
    private let clock: @Sendable () -> Int64
    /// Longest the writer waits for the appenders of its last batch to come back before committing (0: never).
    private let fillWindow: TimeInterval
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending: [Request] = []
    private var pendingCheckpoints: [String: UInt64] = [:]
    private var closed = false
    private var idle = true
    /// While a transaction waits for more appends: the queued count that wakes the writer (0: not waiting).
    private var fillTarget = 0
    private var finished = false
    /// Set once another process is found writing the same log; every later request fails with it.
    private var fatal: EventLogError?
    // Only touched by the writer thread.
    private var head: UInt64
    /// `PRAGMA data_version` as last seen: it changes only when another connection commits.
    private var dataVersion: Int64
    private let dataVersionStatement: SQLiteStatement
    private let maxSeqStatement: SQLiteStatement
    private let insert: SQLiteStatement
    private let begin: SQLiteStatement
    private let commitStatement: SQLiteStatement
    private let upsertCheckpoint: SQLiteStatement
    private var thread: Thread?
    private let commits = Atomic<UInt64>(0)
    /// Failed transactions not yet reported in the log (writer thread only): the next commit writes them first.
    private var unreported: LogAppendFailed?

    /// Transactions committed so far (appends ÷ commits is the mean group-commit size).
    var commitCount: UInt64 { commits.load(ordering: .relaxed) }

    init(
        connection: SQLiteConnection, hub: LiveHub, head: UInt64, fillWindow: TimeInterval,
        clock: @escaping @Sendable () -> Int64
    ) throws {
        self.connection = connection
        self.fillWindow = fillWindow
        self.hub = hub
        self.head = head
        self.clock = clock
        insert = try connection.prepare(
            "INSERT INTO events(\(EventRowReader.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        begin = try connection.prepare("BEGIN IMMEDIATE")
        commitStatement = try connection.prepare("COMMIT")
        dataVersionStatement = try connection.prepare("PRAGMA data_version")
        maxSeqStatement = try connection.prepare("SELECT coalesce(max(seq), 0) FROM events")
        dataVersion = try Self.read(dataVersionStatement)
        upsertCheckpoint = try connection.prepare(
            "INSERT INTO checkpoints(plugin, seq, updated_at) VALUES (?, ?, ?) "
                + "ON CONFLICT(plugin) DO UPDATE SET seq = max(seq, excluded.seq), updated_at = excluded.updated_at")
        // Strong: the writer outlives its thread (close() waits for it), and a strong capture can never race a deinit.
        let thread = Thread { [self] in self.run() }
        thread.name = "partybus.eventlog.writer"
        thread.qualityOfService = .userInitiated
        self.thread = thread
        thread.start()
    }

    /// Why the writer stopped for good, if it did.
    var failure: EventLogError? {
        condition.lock()
        defer { condition.unlock() }
        return fatal
    }

    /// Queues a request; fails it at once when the log is closed or the writer has stopped.
    func enqueue(_ request: Request) {
        condition.lock()
        if closed || fatal != nil {
            let error = fatal ?? EventLogError.closed
            condition.unlock()
            fail([request], error)
            return
        }
        pending.append(request)
        if idle || (fillTarget > 0 && pending.count >= fillTarget) { condition.signal() }
        condition.unlock()
    }

    /// Records a plugin checkpoint; it becomes durable with the next transaction (it does not start one, so
    /// checkpoints never cost an fsync of their own: appends and `flush` carry them).
    func saveCheckpoint(_ seq: UInt64, for plugin: String) {
        condition.lock()
        if !closed {
            pendingCheckpoints[plugin] = max(pendingCheckpoints[plugin] ?? 0, seq)
        }
        condition.unlock()
    }

    /// Writes everything queued, then stops the thread; later requests fail with `closed`.
    func close() {
        condition.lock()
        closed = true
        condition.signal()
        while !finished { condition.wait() }
        // The thread's closure holds the writer; dropping the thread breaks that cycle, so the writer is released
        // once the log lets go of it.
        thread = nil
        condition.unlock()
    }

    private func run() {
        var recent = 0
        while true {
            condition.lock()
            while pending.isEmpty && !closed {
                idle = true
                condition.wait()
            }
            idle = false
            if pending.isEmpty && pendingCheckpoints.isEmpty && closed {
                // Release the files before anyone hears the log is closed: a later open of the same file in this
                // process must not find this connection's locks or wal-index still held.
                for statement in [insert, begin, commitStatement, upsertCheckpoint, dataVersionStatement, maxSeqStatement] {
                    statement.finalize()
                }
                connection.close()
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            let checkpoints = pendingCheckpoints
            pendingCheckpoints.removeAll()
            condition.unlock()
            // Adaptive group commit: most of the appenders the last commit answered append again within
            // microseconds; letting them join this transaction makes one fsync cover them all, not a trickle.
            let target = recent * 3 / 4
            let fill = fillWindow > 0 && target > 1 && batch.count < target ? target : 0
            recent = commit(batch, checkpoints: checkpoints, fillingTo: fill)
        }
    }

    /// Writes one batch in one transaction and answers every request in it. With a fill target, the transaction
    /// stays open after the first requests are written and takes in later ones as they arrive — each written while
    /// the next appenders come back — until the batch reaches the target or the window closes; then one commit.
    /// Returns how many requests the transaction answered.
    private func commit(_ first: [Request], checkpoints firstCheckpoints: [String: UInt64], fillingTo target: Int) -> Int {
        var batch = first
        var checkpoints = firstCheckpoints
        if target == 0 && checkpoints.isEmpty && batch.allSatisfy({ if case .barrier = $0 { true } else { false } }) {
            // Nothing to write: an idle engine's periodic flush costs no transaction and no fsync.
            for case .barrier(let continuation) in batch { continuation.resume() }
            return batch.count
        }
        let at = clock()
        var events: [Event] = []
        events.reserveCapacity(max(batch.count, target))
        var seq = head
        do {
            try begin.step()
            begin.reset()
            try checkHeadIsOurs()
            if let unreported {
                let report = try EventDraft(stream: "engine", payload: unreported)
                events.append(try insert(report, seq: &seq, at: at))
            }
            try write(batch, into: &events, seq: &seq, at: at)
            if target > 0 {
                let deadline = Date(timeIntervalSinceNow: fillWindow)
                while batch.count < target, let more = takeMore(until: deadline, checkpoints: &checkpoints) {
                    try write(more, into: &events, seq: &seq, at: at)
                    batch += more
                }
            }
            for (plugin, checkpoint) in checkpoints {
                upsertCheckpoint.bind(1, plugin)
                upsertCheckpoint.bind(2, Int64(checkpoint))
                upsertCheckpoint.bind(3, at)
                try upsertCheckpoint.step()
                upsertCheckpoint.reset()
            }
            try commitStatement.step()
            commitStatement.reset()
            commits.add(1, ordering: .relaxed)
        } catch {
            begin.reset()
            commitStatement.reset()
            insert.reset()
            upsertCheckpoint.reset()
            try? connection.execute("ROLLBACK")
            let failedEvents = batch.reduce(0) { count, request in
                switch request {
                case .one: count + 1
                case .many(let drafts, _): count + drafts.count
                case .barrier: count
                }
            }
            if unreported == nil {
                unreported = LogAppendFailed(failedEvents: 0, failedCommits: 0, firstFailedAt: at, lastFailedAt: at, error: "")
            }
            unreported?.add(events: failedEvents, at: at, error: "\(error)")
            if let moved = error as? EventLogError {
                condition.lock()
                fatal = moved
                let queued = pending
                pending.removeAll()
                condition.unlock()
                fail(queued, moved)
            }
            fail(batch, error)
            return batch.count
        }
        head = seq
        if !events.isEmpty { hub.publish(events) }
        var offset = unreported == nil ? 0 : 1
        unreported = nil
        for request in batch {
            switch request {
            case .one(_, let continuation):
                continuation.resume(returning: events[offset])
                offset += 1
            case .many(let drafts, let continuation):
                continuation.resume(returning: Array(events[offset..<offset + drafts.count]))
                offset += drafts.count
            case .barrier(let continuation):
                continuation.resume()
            }
        }
        return batch.count
    }

    /// Inserts the events of `requests` in order, inside the open transaction.
    private func write(_ requests: [Request], into events: inout [Event], seq: inout UInt64, at: Int64) throws {
        for request in requests {
            switch request {
            case .one(let draft, _):
                events.append(try insert(draft, seq: &seq, at: at))
            case .many(let drafts, _):
                for draft in drafts { events.append(try insert(draft, seq: &seq, at: at)) }
            case .barrier:
                break
            }
        }
    }

    /// While a transaction fills: the requests queued since the last look, waiting until the first arrives or
    /// `deadline` passes (nil then, or once the log is closing). Checkpoints saved meanwhile join the transaction
    /// too, so a barrier taken here is answered only with every checkpoint saved before it.
    private func takeMore(until deadline: Date, checkpoints: inout [String: UInt64]) -> [Request]? {
        condition.lock()
        defer { condition.unlock() }
        if pending.isEmpty && !closed {
            fillTarget = 1
            while pending.isEmpty && !closed && condition.wait(until: deadline) {}
            fillTarget = 0
        }
        guard !pending.isEmpty else { return nil }
        let more = pending
        pending.removeAll(keepingCapacity: true)
        for (plugin, seq) in pendingCheckpoints { checkpoints[plugin] = max(checkpoints[plugin] ?? 0, seq) }
        pendingCheckpoints.removeAll()
        return more
    }

    /// Inside the write transaction: if another connection committed since we last looked, the head must still
    /// be ours — a second writer's rows would otherwise collide with our next seq (or be silently interleaved).
    private func checkHeadIsOurs() throws {
        let version = try Self.read(dataVersionStatement)
        guard version != dataVersion else { return }
        let found = UInt64(try Self.read(maxSeqStatement))
        guard found == head else { throw EventLogError.headMoved(path: connection.path, expected: head, found: found) }
        dataVersion = version
    }

    private static func read(_ statement: SQLiteStatement) throws -> Int64 {
        defer { statement.reset() }
        guard try statement.step() else { return 0 }
        return statement.int64(0)
    }

    /// Inserts one row with the next seq.
    private func insert(_ draft: EventDraft, seq: inout UInt64, at: Int64) throws -> Event {
        seq += 1
        insert.bind(1, Int64(seq))
        insert.bind(2, at)
        insert.bind(3, draft.stream)
        insert.bind(4, draft.type)
        insert.bind(5, Int64(draft.version))
        insert.bind(6, draft.source.rawValue)
        insert.bind(7, draft.correlation)
        insert.bindText(8, draft.payload)
        try insert.step()
        insert.reset()
        return Event(
            seq: seq, at: at, stream: draft.stream, type: draft.type, version: draft.version, source: draft.source,
            correlation: draft.correlation, payload: draft.payload)
    }

    private func fail(_ batch: [Request], _ error: any Error) {
        for request in batch {
            switch request {
            case .one(_, let continuation): continuation.resume(throwing: error)
            case .many(_, let continuation): continuation.resume(throwing: error)
            case .barrier(let continuation): continuation.resume(throwing: error)
            }
        }
    }
}
