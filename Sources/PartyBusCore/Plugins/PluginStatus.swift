/// What the host knows of one running plugin.
public struct PluginStatus: Sendable, Codable, Equatable {
    /// Lifecycle states.
    public enum State: String, Sendable, Codable {
        /// Being created.
        case starting
        /// Handling events.
        case running
        /// Could not be created; it is not run.
        case failed
        /// Stopped.
        case stopped
    }

    /// The plugin's name.
    public var name: String
    /// How it was loaded.
    public var kind: PluginKind
    /// Its state.
    public var state: State
    /// Last seq handled.
    public var checkpoint: UInt64
    /// Events handled (successfully or not) since start.
    public var handled: Int
    /// Failures (throws and timeouts) since start.
    public var failures: Int
    /// Times its queue overflowed and it fell back to reading the log.
    public var overflows: Int
    /// The last failure's message.
    public var lastError: String?
}
