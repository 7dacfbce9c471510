import CGStreamer
import Foundation
import Synchronization

/// Times pulses (clicks) passing a pad of a running graph, for latency measurements: the monotonic time of each
/// pulse, in microseconds.
public final class PulseWatch: Sendable {
    /// What counts as a pulse.
    public enum Kind: Sendable {
        /// A raw S16 sample whose magnitude exceeds the threshold.
        case amplitude(Int)
        /// A buffer larger than this many bytes (an Opus packet carrying a click among silence).
        case bufferSize(Int)
    }

    private let times = Mutex<[Int64]>([])

    /// The pulse times seen so far (µs, monotonic clock).
    public var pulses: [Int64] { times.withLock { $0 } }

    func record(_ time: Int64) { times.withLock { $0.append(time) } }

    /// The current monotonic time in µs (same clock as the pulses).
    public static func now() -> Int64 { Int64(g_get_monotonic_time()) }
}

private func pulseSeen(_ context: UnsafeMutableRawPointer?, _ time: Int) {
    guard let context else { return }
    Unmanaged<PulseWatch>.fromOpaque(context).takeUnretainedValue().record(Int64(time))
}

private func releasePulseWatch(_ context: UnsafeMutableRawPointer?) {
    if let context { Unmanaged<PulseWatch>.fromOpaque(context).release() }
}

extension VoiceGraph {
    /// The pipeline's latency now (what a live buffer waits before synchronised sinks render it).
    public var pipelineLatency: Duration? {
        let microseconds = pb_pipeline_latency_us(pipelineElement)
        return microseconds < 0 ? nil : .microseconds(microseconds)
    }

    /// Watches pad `pad` of the element called `element` (anywhere in the graph, peers included).
    public func watchPulses(element: String, pad: String, kind: PulseWatch.Kind) throws -> PulseWatch {
        let watch = PulseWatch()
        let (mode, threshold): (Int32, Int) = switch kind {
        case .amplitude(let level): (0, level)
        case .bufferSize(let bytes): (1, bytes)
        }
        let context = Unmanaged.passRetained(watch).toOpaque()
        let callback: @convention(c) (UnsafeMutableRawPointer?, Int) -> Void = pulseSeen
        let destroy: @convention(c) (UnsafeMutableRawPointer?) -> Void = releasePulseWatch
        guard pb_watch_pulses(pipelineElement, element, pad, mode, threshold, callback, context, destroy) != 0 else {
            Unmanaged<PulseWatch>.fromOpaque(context).release()
            throw VoiceError("no element '\(element)' with a pad '\(pad)' to watch")
        }
        return watch
    }
}
