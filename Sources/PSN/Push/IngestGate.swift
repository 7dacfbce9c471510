import Logging
import Synchronization

/// Orders the push client's frame ingests with the party re-read: an ingest (translate a batch of frames against the
/// party projection, append the result) holds the gate, and so does the re-read while it records what it read — so
/// no frame is translated against the state before a snapshot and appended after it. It also counts the ingests
/// begun, so the re-read can tell whether frames were ingested while its read was in flight (its answer may then be
/// older than they are).
public final class IngestGate: Sendable {
    private struct State {
        var started: UInt64 = 0
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    /// A gate, open, at zero.
    public init() {}

    /// Waits for the gate and holds it; `counting` counts an ingest begun.
    func acquire(counting: Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                guard state.held else {
                    state.held = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        if counting { state.withLock { $0.started += 1 } }
    }

    /// Lets the next waiter in (the gate stays held, handed over) or opens it.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    /// Ingests begun so far.
    var started: UInt64 { state.withLock { $0.started } }

    /// Reads party state from sessionManager with `read` and records it with `record` while holding the gate; when
    /// frames were ingested while the read was in flight, its answer may be older than they are and recording it
    /// would undo them (a member who joined meanwhile would vanish from the projection), so it reads again — at
    /// most `attempts` times, the last answer recorded regardless. `record` gets the attempt number (1 based).
    func readThenRecord<Answer>(
        attempts: Int = 5, retryDelay: Duration = .milliseconds(200), logger: Logger? = nil,
        read: () async throws -> Answer, record: (Answer, Int) async throws -> Void
    ) async throws -> Answer {
        var attempt = 1
        while true {
            let before = started
            let answer = try await read()
            await acquire(counting: false)
            if started != before && attempt < attempts {
                release()
                logger?.debug("push frames arrived while party state was read; reading it again")
                try await Task.sleep(for: retryDelay)
                attempt += 1
                continue
            }
            do {
                try await record(answer, attempt)
                release()
            } catch {
                release()
                throw error
            }
            return answer
        }
    }
}
