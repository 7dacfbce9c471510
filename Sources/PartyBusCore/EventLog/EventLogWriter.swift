import CSQLite
import Foundation
import PartyBusPluginAPI

/// The single writer of the log: a dedicated thread that takes every append waiting at that moment, writes them
/// in one transaction with one fsync (group commit), then tells the live hub and resumes the appenders.
///
/// Appenders never block a thread: they enqueue and suspend; only this thread touches the write connection.
final class EventLogWriter: @unchecked Sendable {
    /// One queued request.
    enum Request {
        case append([EventDraft], CheckedContinuation<[Event], any Error>)
        case barrier(CheckedContinuation<Void, any Error>)
    }

    private let connection: SQLiteConnection
    private let hub: LiveHub
    private let clock: @Sendable () -> Int64
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending: [Request] = []
    private var pendingCheckpoints: [String: UInt64] = [:]
    private var closed = false
    private var idle = true
    private var finished = false
    // Only touched by the writer thread.
    private var head: UInt64
    private let insert: SQLiteStatement
    private let upsertCheckpoint: SQLiteStatement
    private var thread: Thread?

    init(connection: SQLiteConnection, hub: LiveHub, head: UInt64, clock: @escaping @Sendable () -> Int64) throws {
        self.connection = connection
        self.hub = hub
        self.head = head
        self.clock = clock
        insert = try connection.prepare(
            "INSERT INTO events(\(EventRowReader.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        upsertCheckpoint = try connection.prepare(
            "INSERT INTO checkpoints(plugin, seq, updated_at) VALUES (?, ?, ?) "
                + "ON CONFLICT(plugin) DO UPDATE SET seq = max(seq, excluded.seq), updated_at = excluded.updated_at")
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "partybus.eventlog.writer"
        thread.qualityOfService = .userInitiated
        self.thread = thread
        thread.start()
    }

    /// Queues a request; fails it at once when the log is closed.
    func enqueue(_ request: Request) {
        condition.lock()
        if closed {
            condition.unlock()
            fail([request], EventLogError.closed)
            return
        }
        pending.append(request)
        if idle { condition.signal() }
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
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !closed {
                idle = true
                condition.wait()
            }
            idle = false
            if pending.isEmpty && pendingCheckpoints.isEmpty && closed {
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
            commit(batch, checkpoints: checkpoints)
        }
    }

    /// Writes one batch in one transaction and answers every request in it.
    private func commit(_ batch: [Request], checkpoints: [String: UInt64]) {
        let at = clock()
        var events: [Event] = []
        events.reserveCapacity(batch.count)
        var seq = head
        do {
            try connection.execute("BEGIN IMMEDIATE")
            for request in batch {
                guard case .append(let drafts, _) = request else { continue }
                for draft in drafts {
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
                    events.append(
                        Event(
                            seq: seq, at: at, stream: draft.stream, type: draft.type, version: draft.version,
                            source: draft.source, correlation: draft.correlation, payload: draft.payload))
                }
            }
            for (plugin, checkpoint) in checkpoints {
                upsertCheckpoint.bind(1, plugin)
                upsertCheckpoint.bind(2, Int64(checkpoint))
                upsertCheckpoint.bind(3, at)
                try upsertCheckpoint.step()
                upsertCheckpoint.reset()
            }
            try connection.execute("COMMIT")
        } catch {
            insert.reset()
            upsertCheckpoint.reset()
            try? connection.execute("ROLLBACK")
            fail(batch, error)
            return
        }
        head = seq
        if !events.isEmpty { hub.publish(events) }
        var offset = 0
        for request in batch {
            switch request {
            case .append(let drafts, let continuation):
                continuation.resume(returning: Array(events[offset..<offset + drafts.count]))
                offset += drafts.count
            case .barrier(let continuation):
                continuation.resume()
            }
        }
    }

    private func fail(_ batch: [Request], _ error: any Error) {
        for request in batch {
            switch request {
            case .append(_, let continuation): continuation.resume(throwing: error)
            case .barrier(let continuation): continuation.resume(throwing: error)
            }
        }
    }
}
