import PartyBusPluginAPI
import Synchronization

/// Hands committed events to live subscriptions, and knows the committed head.
///
/// The writer publishes each committed batch under the hub's lock, and a subscription switches from catch-up to
/// live under the same lock only when it has read up to the head; so the switch has no gap and no duplicate.
final class LiveHub: Sendable {
    private struct State {
        var head: UInt64
        var subscribers: [ObjectIdentifier: SubscriptionCore] = [:]
    }

    private let state: Mutex<State>

    init(head: UInt64) {
        state = Mutex(State(head: head))
    }

    /// The last committed seq.
    var head: UInt64 { state.withLock { $0.head } }

    /// Called by the writer after a commit.
    func publish(_ events: [Event]) {
        state.withLock { state in
            state.head = events.last!.seq
            var dropped: [ObjectIdentifier] = []
            for (id, subscriber) in state.subscribers where !subscriber.offer(events) {
                dropped.append(id)
            }
            for id in dropped { state.subscribers[id] = nil }
        }
    }

    /// Registers `subscriber` as live when it has read everything up to the head (`next > head`).
    func goLive(_ subscriber: SubscriptionCore, next: UInt64) -> Bool {
        state.withLock { state in
            guard next > state.head else { return false }
            subscriber.markLive()
            state.subscribers[ObjectIdentifier(subscriber)] = subscriber
            return true
        }
    }

    /// Forgets a subscriber.
    func remove(_ subscriber: SubscriptionCore) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: ObjectIdentifier(subscriber)) }
    }

    /// How many subscriptions are live now.
    var liveCount: Int { state.withLock { $0.subscribers.count } }
}
