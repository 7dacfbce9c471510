import Synchronization

/// What plugins did during a replay: the events they published, the side effects they would have performed,
/// and their failures, each tied to the recorded event that caused it.
public final class ReplayRecorder: Sendable {
    /// One reaction of one plugin.
    public struct Activity: Sendable, Equatable, Codable {
        /// What kind of reaction.
        public enum Kind: String, Sendable, Codable {
            /// It published an event (`detail` is its type).
            case published
            /// It would have performed a side effect (`detail` describes it).
            case sideEffect
            /// It failed (`detail` is the message).
            case failed
        }

        /// The plugin.
        public var plugin: String
        /// The seq (in the replay's own log) of the event it was handling, if any.
        public var triggerSeq: UInt64?
        /// What it did.
        public var kind: Kind
        /// Details.
        public var detail: String
        /// The payload of a published event (JSON text).
        public var payload: String?

        /// Makes an activity.
        public init(plugin: String, triggerSeq: UInt64?, kind: Kind, detail: String, payload: String? = nil) {
            self.plugin = plugin
            self.triggerSeq = triggerSeq
            self.kind = kind
            self.detail = detail
            self.payload = payload
        }
    }

    private let activities = Mutex<[Activity]>([])

    /// An empty recorder.
    public init() {}

    /// Adds one reaction.
    public func record(_ activity: Activity) {
        activities.withLock { $0.append(activity) }
    }

    /// Everything recorded, in order.
    public var all: [Activity] { activities.withLock { $0 } }
}
