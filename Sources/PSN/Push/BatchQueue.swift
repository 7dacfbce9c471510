import Foundation
import Synchronization

/// A bounded queue between one producer thread and one async consumer that hands over everything pending at once,
/// so a consumer that was busy (committing to the log) takes all that arrived meanwhile in one go.
///
/// When `capacity` elements are waiting, `push` blocks its (dedicated, non-pool) producer thread until the consumer
/// takes them: a slow consumer slows the socket down (TCP backpressure to the server) instead of growing a buffer,
/// and nothing is dropped. Once the consumer has gone (its task cancelled), pushes are discarded and never block.
final class BatchQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var waiter: CheckedContinuation<[Element]?, Never>?
        var finished = false
        var consumerGone = false
        var producerWaits = 0
    }

    /// Elements that may wait before `push` blocks.
    let capacity: Int
    private let state = Mutex(State())
    /// Wakes a producer blocked on a full queue (it also re-checks every 50 ms, so a missed signal costs no more).
    private let space = NSCondition()

    /// A queue holding at most `capacity` waiting elements (at least 1).
    init(capacity: Int = 1024) {
        self.capacity = max(1, capacity)
    }

    /// How many times `push` had to wait for the consumer (a slow consumer shows here).
    var producerWaits: Int { state.withLock { $0.producerWaits } }

    /// Adds an element; blocks the calling thread while the queue is full and the consumer is still there.
    /// Never call it from a Swift concurrency thread.
    func push(_ element: Element) {
        var waited = false
        while true {
            let full = state.withLock { state -> Bool in
                guard !state.consumerGone, state.waiter == nil, state.items.count >= capacity else { return false }
                if !waited { state.producerWaits += 1 }
                return true
            }
            guard full else { break }
            waited = true
            space.lock()
            _ = space.wait(until: Date(timeIntervalSinceNow: 0.05))
            space.unlock()
        }
        let (waiter, items) = state.withLock { state -> (CheckedContinuation<[Element]?, Never>?, [Element]) in
            if state.consumerGone { return (nil, []) }
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
    /// waiting task is cancelled (the consumer is then gone for good: later pushes are discarded).
    func next() async -> [Element]? {
        let batch = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> [Element]?? in
                    if Task.isCancelled {
                        state.consumerGone = true
                        state.items.removeAll()
                        return .some(nil)
                    }
                    if !state.items.isEmpty {
                        defer { state.items.removeAll() }
                        return .some(state.items)
                    }
                    if state.finished { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<[Element]?, Never>? in
                state.consumerGone = true
                state.items.removeAll()
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
        wakeProducer()
        return batch
    }

    /// Lets a producer blocked on a full queue re-check (synchronous: `NSCondition` is not for async contexts).
    private func wakeProducer() {
        space.lock()
        space.broadcast()
        space.unlock()
    }
}
