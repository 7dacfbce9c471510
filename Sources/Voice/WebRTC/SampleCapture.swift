import CGStreamer
import Foundation

/// A short capture of the raw audio passing one pad of a running graph (its first channel, as −1…1): the probe
/// takes `capacity` samples, then removes itself, so nothing is left on the streaming thread. For checks of what a
/// peer carries (`partybus bench voice`).
public final class SampleCapture: @unchecked Sendable {
    // The C capture is reference counted and written only by its probe until `filled` reaches `capacity`.
    private let capture: UnsafeMutablePointer<pb_capture>
    /// How many samples it takes.
    public let capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        capture = pb_capture_new(Int32(self.capacity))
    }

    deinit { pb_capture_release(capture) }

    /// True once every sample is in (or the pad's audio turned out unreadable).
    public var isComplete: Bool { Int(pb_capture_filled(capture)) >= capacity || failed }

    /// True when the pad carried a format the capture cannot read (only S16LE and F32LE are read).
    public var failed: Bool { pb_capture_failed(capture) != 0 }

    /// The sample rate of the captured audio (0 before the first buffer).
    public var rate: Int { Int(capture.pointee.rate) }

    /// The samples captured so far.
    public var samples: [Double] {
        let filled = min(Int(pb_capture_filled(capture)), capacity)
        guard let start = capture.pointee.samples else { return [] }
        return (0..<filled).map { Double(start[$0]) }
    }

    /// Waits (polling, off the cooperative pool's time: it sleeps) until complete or `timeout`; true when complete.
    public func wait(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isComplete, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return isComplete && !failed
    }
}

extension VoiceGraph {
    /// Captures `seconds` of audio (at 48 kHz) passing pad `pad` of the element called `element` (anywhere in the
    /// graph, peers included).
    public func captureSamples(element: String, pad: String = "src", seconds: Double) throws -> SampleCapture {
        let capture = SampleCapture(capacity: Int(seconds * 48000))
        let started = withExtendedLifetime(capture) {
            pb_capture_start(pipelineElement, element, pad, capture.handle)
        }
        guard started != 0 else { throw VoiceError("no element '\(element)' with a pad '\(pad)' to capture") }
        return capture
    }

    /// The per-peer level meter of `peer` (the end of its receive branch), nil without a receive branch.
    public func meterElement(of peer: String) -> String? { peerMeter(peer) }
}

extension SampleCapture {
    var handle: UnsafeMutablePointer<pb_capture> { capture }
}
