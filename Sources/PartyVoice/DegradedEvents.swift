public import PartyBusCore

/// `voice.degraded`: part of the graph runs without its device — an audio output or input that is not there (no
/// sound server, no sound card: `autoaudiosink` fell back to `fakesink`), an optional node that could not open, or
/// a device that failed while playing. Voice keeps running; `fallback` says what plays instead.
public struct VoiceDegraded: EventPayload, Equatable {
    public static let eventType = "voice.degraded"
    /// The party.
    public var sessionId: String
    /// The graph node (`out`, `mic`, `local` …).
    public var node: String
    /// The element the graph asked for.
    public var element: String
    /// What is missing.
    public var reason: String
    /// What runs instead: `fakesink` (audio discarded), `silence`, `identity` or `nothing`.
    public var fallback: String
}
