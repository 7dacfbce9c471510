import Foundation
import Logging
import PartyBusCore
import Synchronization

/// Brings the log's party state back in line with sessionManager once the push socket is up — after every
/// connection, the first of a run too (the daemon may have been down or killed while members came and went, or
/// killed between a call's server side and its event). It reads (B.2) the parties the projection shows us in plus
/// those sessionManager lists us in (B.1: a party made or joined just before a crash, or while the log could not be
/// written) and records each as `party.snapshot` — after the first connection of a run only those that differ from
/// the log, so a plain start wakes no reader of `party.*`; a known party not found any more is recorded as deleted.
/// A failed read is retried with backoff until it succeeds or its task is cancelled (the connection ended: the next
/// one reconciles again), so a 5xx storm at the wrong moment does not leave the state stale for good.
struct PartyReconciler: Sendable {
    let parties: PartiesClient
    let projection: LiveProjection<PartyProjection>
    /// The push client's ingests, to see frames that raced a read.
    let ingests: IngestGate
    let logger: Logger
    /// Set until the first pass of this run has started.
    let firstRun = FirstRun()
    var initialDelay: Duration = .seconds(1)
    var maxDelay: Duration = .seconds(30)

    /// Reconciles, retrying until it succeeds or is cancelled.
    func run() async {
        let onlyDiffering = firstRun.take()
        var delay = initialDelay
        while !Task.isCancelled {
            do {
                try await reconcileOnce(onlyDiffering: onlyDiffering)
                return
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("push: re-reading party state failed (\(error)); trying again in \(delay)")
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, maxDelay)
        }
    }

    /// One pass: list, read, record — the recording under the ingest gate, so no frame is translated against the
    /// state before a snapshot and appended after it; and read again (a few times at most) when frames were ingested
    /// while the read was in flight, since its answer may be older than they are and would undo them.
    func reconcileOnce(onlyDiffering: Bool) async throws {
        _ = try await ingests.readThenRecord(attempts: Self.maxAttempts, logger: logger) {
            let listed = try await parties.list().map(\.sessionId)
            let known = Set(projection.current.parties.keys)
            let wanted = known.union(listed).sorted()
            return (known, wanted.isEmpty ? [] : try await parties.read(wanted))
        } record: { answer, attempt in
            guard !answer.0.isEmpty || !answer.1.isEmpty else { return }
            try await record(answer.1, known: answer.0, filtered: onlyDiffering && attempt == 1)
        }
    }

    /// Records what was read: a snapshot per party (when `filtered`, only those that differ from the log's view —
    /// at a run's start a snapshot that says what the log already says would only wake every reader of party.*,
    /// voice re-checks its peers on each one) and a deletion per known party not found any more.
    private func record(_ found: [PartySession], known: Set<String>, filtered: Bool) async throws {
        let current = projection.current.parties
        for party in found where !filtered || Self.differs(party, from: current[party.sessionId]) {
            try await parties.recordSnapshot(party)
        }
        for missing in known.subtracting(found.map(\.sessionId)).sorted() {
            try await parties.recordGone(missing)
        }
    }

    static let maxAttempts = 5

    /// Whether the party as read shows other members (or owner, name, size) than the log's view of it.
    static func differs(_ party: PartySession, from known: PartyProjection.Party?) -> Bool {
        guard let known else { return true }
        return Set((party.members ?? []).map(\.accountId)) != Set(known.members.keys)
            || (party.owner?.accountId).map { $0 != known.ownerAccountId } ?? false
            || (party.sessionName ?? "") != known.name
            || (party.maxMembers.map { $0 != known.maxMembers } ?? false)
    }
}

/// True until taken once.
final class FirstRun: Sendable {
    private let value = Mutex(true)

    /// Whether this is the first call (and never again after).
    func take() -> Bool {
        value.withLock { first in
            defer { first = false }
            return first
        }
    }
}
