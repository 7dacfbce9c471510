import CGStreamer

/// When a voice counts as speaking: the hysteresis the speaking detector (speaking_shim.h) runs on the streaming
/// thread of each peer's meter and of the graph's `micmeter`. Readings are the loudest channel's RMS in dB over
/// `readingMilliseconds` of audio; speaking starts after `startCount` readings above `startDb`, stops after
/// `stopCount` readings below `stopDb`, and no two changes come closer than `minimumGap` readings. Only changes
/// reach Swift (`VoiceGraphEvent.speaking`).
public struct SpeakingThresholds: Sendable, Equatable {
    /// Start threshold in dB.
    public var startDb = -40.0
    /// Stop threshold in dB (below the start threshold: hysteresis).
    public var stopDb = -50.0
    /// Readings above `startDb` needed to start.
    public var startCount = 2
    /// Readings below `stopDb` needed to stop.
    public var stopCount = 5
    /// Readings between two changes at least (rate limit).
    public var minimumGap = 3
    /// Audio per reading.
    public var readingMilliseconds = 100

    /// The default thresholds.
    public init() {}

    /// The settings as the C detector takes them.
    var settings: pb_speaking_settings {
        pb_speaking_settings(
            start_db: startDb, stop_db: stopDb, start_count: Int32(clamping: startCount), stop_count: Int32(clamping: stopCount),
            min_gap: Int32(clamping: minimumGap), interval_ns: UInt(max(readingMilliseconds, 1)) * 1_000_000)
    }

    /// The element whose output is our own voice: a graph's speaking indicator for `me`.
    public static let micMeter = "micmeter"

    /// Runs the detector on the `src` pad of the element called `element` inside `bin` (a `level` element there
    /// stops posting its own readings). False when there is no such element.
    @discardableResult
    func attach(to bin: UnsafeMutablePointer<GstElement>, element: String) -> Bool {
        pb_speaking_attach(bin, element, settings) != 0
    }
}
