/// Voice taps for plugins. A separate requirement with a default, so contexts that have no voice (a replay, a
/// test's fake context, a dynamic plugin's host table) need not change.
public protocol VoiceTapProviding {
    /// The voice taps, or nil where there is no voice (replays, commands without a daemon, `.so` plugins so far).
    var voiceTaps: (any VoiceTapSource)? { get }
}

extension PluginContext {
    /// The voice taps, when the engine runs beside voice (`partybus up`); nil otherwise.
    public var voiceTaps: (any VoiceTapSource)? { (self as? any VoiceTapProviding)?.voiceTaps }
}
