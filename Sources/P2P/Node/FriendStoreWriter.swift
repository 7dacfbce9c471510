import Dispatch
import Synchronization

/// Writes the friends file off the node's actor and off the cooperative pool: a file create and rename can wait
/// seconds on a busy disk (another process's fsyncs hold the journal), and a node that waited there received
/// nothing and dropped every peer for silence. Saves are coalesced: only the newest list waiting is written.
final class FriendStoreWriter: Sendable {
    private struct State {
        var pending: [String: Friend]?
        var writing = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let store: FriendStore
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "partybus.p2p.friends")
    private let onError: @Sendable (String) -> Void

    /// `onError` is told (on the writer's queue) what a failed write said.
    init(store: FriendStore, onError: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.onError = onError
    }

    /// Queues `friends` to be written; returns at once.
    func save(_ friends: [String: Friend]) {
        let start = state.withLock { state -> Bool in
            state.pending = friends
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        if start { queue.async { self.drain() } }
    }

    /// Returns once every list queued so far is on disk (or failed).
    func flush() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state -> Bool in
                guard state.writing else { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    private func drain() {
        while true {
            // Taking the newest list and going idle happen under one lock: a save never finds us "writing" after
            // the last take.
            let (next, waiters) = state.withLock { state -> ([String: Friend]?, [CheckedContinuation<Void, Never>]) in
                if let next = state.pending {
                    state.pending = nil
                    return (next, [])
                }
                state.writing = false
                defer { state.idleWaiters = [] }
                return (nil, state.idleWaiters)
            }
            guard let friends = next else {
                for waiter in waiters { waiter.resume() }
                return
            }
            do { try store.save(friends) } catch { onError("\(error)") }
        }
    }
}
