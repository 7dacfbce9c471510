/// Turns a stream of levels (dB, every 100 ms) into speaking / not speaking with hysteresis: speaking starts after
/// `startCount` readings above `startDb`, stops after `stopCount` readings below `stopDb`, and no two changes come
/// closer than `minimumGap` readings (rate limit).
public struct SpeakingDetector: Sendable, Equatable {
    /// Start threshold in dB.
    public var startDb = -40.0
    /// Stop threshold in dB (below the start threshold: hysteresis).
    public var stopDb = -50.0
    /// Readings above `startDb` needed to start.
    public var startCount = 2
    /// Readings below `stopDb` needed to stop.
    public var stopCount = 5
    /// Readings between two changes at least.
    public var minimumGap = 3

    /// Speaking now.
    public private(set) var speaking = false
    private var above = 0
    private var below = 0
    private var sinceChange = Int.max / 2

    /// A detector with the default thresholds.
    public init() {}

    /// Feeds one reading; returns the new state when it changed.
    public mutating func feed(_ db: Double) -> Bool? {
        sinceChange += 1
        above = db > startDb ? above + 1 : 0
        below = db < stopDb ? below + 1 : 0
        guard sinceChange >= minimumGap else { return nil }
        if !speaking, above >= startCount {
            speaking = true
        } else if speaking, below >= stopCount {
            speaking = false
        } else {
            return nil
        }
        sinceChange = 0
        return speaking
    }
}
