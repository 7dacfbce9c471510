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
}
