public import Foundation
import Synchronization

/// A point of the running voice graph a plugin can listen to. Core knows nothing of GStreamer: the daemon plugs in a
/// `VoiceTapSource` that feeds these from the voice engine's pad probes.
public enum VoiceTapName: String, Sendable, Hashable, Codable, CaseIterable {
    /// The decoded party mix (what plays on the speakers), PCM.
    case mix
    /// Our microphone as sent: one Opus packet per buffer (depayloaded from the RTP the peers get).
    case mic
    /// Each member's Opus packets as received (after the jitterbuffer, depayloaded, not decoded), tagged by peer.
    case peerPackets = "peer-packets"
    /// Each member's decoded audio (after the per-member volume), PCM, tagged by peer.
    case peerAudio = "peer-audio"
}

/// One buffer from a tap.
public struct VoiceTapBuffer: Sendable {
    /// What the bytes are.
    public enum Format: Sendable, Hashable {
        /// One Opus packet (RFC 6716), 48 kHz clock.
        case opus
        /// Interleaved signed 16-bit little-endian PCM.
        case s16le(rate: Int, channels: Int)
        /// Interleaved 32-bit float little-endian PCM.
        case f32le(rate: Int, channels: Int)
    }

    /// The tap it came from.
    public var tap: VoiceTapName
    /// The member's account id for the peer taps; nil for the mix and the mic.
    public var peer: String?
    /// The voice session (party) it belongs to.
    public var sessionId: String?
    /// What `bytes` hold.
    public var format: Format
    /// The payload.
    public var bytes: [UInt8]
    /// When the buffer plays, on the monotonic clock (ns; the same clock for every tap and every graph), nil when
    /// the buffer had no timestamp.
    public var monotonicNanoseconds: Int64?
    /// The RTP timestamp of the packet (packet taps only).
    public var rtpTimestamp: UInt32?

    /// Makes a buffer.
    public init(tap: VoiceTapName, peer: String?, sessionId: String?, format: Format, bytes: [UInt8],
                monotonicNanoseconds: Int64?, rtpTimestamp: UInt32? = nil) {
        self.tap = tap
        self.peer = peer
        self.sessionId = sessionId
        self.format = format
        self.bytes = bytes
        self.monotonicNanoseconds = monotonicNanoseconds
        self.rtpTimestamp = rtpTimestamp
    }

    /// The monotonic clock's now, in ns (what `monotonicNanoseconds` is measured on).
    public static func monotonicNow() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}

/// An open tap: a bounded stream of buffers. When the consumer falls behind, buffers beyond `capacity` are dropped
/// and counted (`dropped`); the source also logs each first drop. Cancel it (or let it go) to stop the feed.
public final class VoiceTapSubscription: Sendable {
    /// The tap.
    public let tap: VoiceTapName
    /// The buffers, oldest first. Ends when the subscription is cancelled or the source shuts down.
    public let buffers: AsyncStream<VoiceTapBuffer>
    /// How many buffers the stream holds before it drops.
    public let capacity: Int
    private let continuation: AsyncStream<VoiceTapBuffer>.Continuation
    private let drops = Atomic<Int>(0)
    private let delivered = Atomic<Int>(0)
    private let onCancel: CancelOnce

    /// A subscription a `VoiceTapSource` hands out; `onCancel` detaches it from the source.
    public init(tap: VoiceTapName, capacity: Int, onCancel: @escaping @Sendable () -> Void) {
        self.tap = tap
        self.capacity = max(capacity, 1)
        (buffers, continuation) = AsyncStream.makeStream(of: VoiceTapBuffer.self, bufferingPolicy: .bufferingOldest(max(capacity, 1)))
        let detach = CancelOnce(onCancel)
        self.onCancel = detach
        continuation.onTermination = { _ in detach.run() }
    }

    /// Buffers dropped because the consumer was behind (never silently: this counts them).
    public var dropped: Int { drops.load(ordering: .relaxed) }
    /// Buffers handed to the stream.
    public var yielded: Int { delivered.load(ordering: .relaxed) }

    /// Offers a buffer (called by the source, from any thread). Returns false when it was dropped.
    @discardableResult
    public func offer(_ buffer: VoiceTapBuffer) -> Bool {
        switch continuation.yield(buffer) {
        case .enqueued:
            delivered.add(1, ordering: .relaxed)
            return true
        case .dropped:
            drops.add(1, ordering: .relaxed)
            return false
        case .terminated:
            return false
        @unknown default:
            return false
        }
    }

    /// Stops the feed and ends `buffers`.
    public func cancel() { continuation.finish() }

    deinit { continuation.finish() }
}

/// Runs a closure at most once, from any thread.
private final class CancelOnce: Sendable {
    private let action: Mutex<(@Sendable () -> Void)?>
    init(_ action: @escaping @Sendable () -> Void) { self.action = Mutex(action) }
    func run() {
        let taken = action.withLock { value in defer { value = nil }; return value }
        taken?()
    }
}

/// Where taps come from (the daemon's voice engine). Opening a tap works whether or not voice runs: buffers flow
/// while a graph plays, across graph restarts, until the subscription is cancelled.
public protocol VoiceTapSource: Sendable {
    /// Opens `tap` with a stream of at most `capacity` waiting buffers.
    func open(_ tap: VoiceTapName, capacity: Int) throws -> VoiceTapSubscription
}
