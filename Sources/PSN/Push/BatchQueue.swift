import Synchronization

/// A queue between one producer thread and one async consumer that hands over everything pending at once, so a
/// consumer that was busy (committing to the log) takes all that arrived meanwhile in one go.
final class BatchQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var waiter: CheckedContinuation<[Element]?, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    /// Adds an element (never blocks).
    func push(_ element: Element) {
        let (waiter, items) = state.withLock { state -> (CheckedContinuation<[Element]?, Never>?, [Element]) in
            state.items.append(element)
            guard let waiter = state.waiter else { return (nil, []) }
            state.waiter = nil
            defer { state.items.removeAll() }
            return (waiter, state.items)
        }
        waiter?.resume(returning: items)
    }

    /// No more elements will come; the consumer gets what is left, then nil.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<[Element]?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.items.isEmpty ? state.waiter : nil
        }
        waiter?.resume(returning: nil)
    }

    /// Everything pending (waiting for at least one element), or nil once finished and drained, or when the
    /// waiting task is cancelled.
    func next() async -> [Element]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> [Element]?? in
                    if !state.items.isEmpty {
                        defer { state.items.removeAll() }
                        return .some(state.items)
                    }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<[Element]?, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
