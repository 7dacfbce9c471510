/// A part of a graph that runs without what it was meant to use: an audio device that is not there (no sound
/// server, no sound card), an optional node that could not open, or a device that failed while playing.
public struct GraphDegradation: Sendable, Equatable {
    /// The graph node (`out`, `mic`, `local` …).
    public var node: String
    /// The element the file asked for (`autoaudiosink`, `pulsesink` …).
    public var element: String
    /// What is missing, in words (with GStreamer's own message when it gave one).
    public var reason: String
    /// What runs in its place: `fakesink` (audio is discarded), `silence` (a silent source), or `nothing`.
    public var fallback: String

    /// A degradation of `node`.
    public init(node: String, element: String, reason: String, fallback: String) {
        self.node = node
        self.element = element
        self.reason = reason
        self.fallback = fallback
    }
}
