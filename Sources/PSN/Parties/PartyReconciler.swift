import Foundation
import Logging
import PartyBusCore

/// Brings the log's party state back in line with sessionManager once the push socket is up — after every
/// connection, the first of a run too (the daemon may have been down or killed while members came and went, or
/// killed between a call's server side and its event). It reads (B.2, recorded as `party.snapshot`) the parties
/// the projection shows us in plus those sessionManager lists us in (B.1: a party made or joined just before a
/// crash, or while the log could not be written); a known party that is not found any more is recorded as deleted.
/// A failed read is retried with backoff until it succeeds or its task is cancelled (the connection ended: the next
/// one reconciles again), so a 5xx storm at the wrong moment does not leave the state stale for good.
struct PartyReconciler: Sendable {
    let parties: PartiesClient
    let projection: LiveProjection<PartyProjection>
    /// The push client's ingests, to see frames that raced a read.
    let ingests: IngestCounter
    let logger: Logger
    var initialDelay: Duration = .seconds(1)
    var maxDelay: Duration = .seconds(30)

    /// Reconciles, retrying until it succeeds or is cancelled.
    func run() async {
        var delay = initialDelay
        while !Task.isCancelled {
            do {
                try await reconcileOnce()
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

    /// One pass: list, read, record — again (a few times at most) when push frames were translated while the read
    /// was in flight, since its answer may be older than they are and would otherwise undo them.
    func reconcileOnce() async throws {
        for attempt in 1...Self.maxAttempts {
            let before = ingests.current
            let listed = try await parties.list().map(\.sessionId)
            let known = Set(projection.current.parties.keys)
            let wanted = known.union(listed).sorted()
            guard !wanted.isEmpty else { return }
            let found = try await parties.read(wanted)
            for party in found { try await parties.recordSnapshot(party) }
            // Parties that vanished while we were not listening.
            for missing in known.subtracting(found.map(\.sessionId)).sorted() {
                try await parties.recordGone(missing)
            }
            let after = ingests.current
            let quiet = before.started == before.finished && after.started == before.started && after.finished == before.finished
            if quiet || attempt == Self.maxAttempts { return }
            logger.debug("push: frames arrived while party state was re-read; reading it again")
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    static let maxAttempts = 5
}
