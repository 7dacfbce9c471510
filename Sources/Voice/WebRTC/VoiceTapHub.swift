import CGStreamer
public import Logging
public import PartyBusCore
public import PartyBusPluginAPI
import Synchronization

/// The daemon's voice taps (`VoiceTapSource` of the plugin API): plugins open a tap here once; every voice graph
/// built with this hub puts pad probes on its mix, its mic and each peer it adds, and those feed the open
/// subscriptions — across peers joining and leaving and across graph restarts. A subscriber that falls behind
/// loses buffers beyond its capacity; they are counted on the subscription and logged (first drop, then every
/// 1000th), never silent.
public final class VoiceTapHub: VoiceTapSource, Sendable {
    private struct Entry: Sendable {
        let subscription: VoiceTapSubscription
        var lastLoggedDrops = 0
    }

    private let entries = Mutex<[VoiceTapName: [ObjectIdentifier: Entry]]>([:])
    private let logger: Logger

    /// A hub; drops are logged on `logger`.
    public init(logger: Logger) { self.logger = logger }

    public func open(_ tap: VoiceTapName, capacity: Int) throws -> VoiceTapSubscription {
        guard capacity > 0 else { throw VoiceError("a voice tap needs a capacity of at least 1 buffer, not \(capacity)") }
        let box = WeakBox()
        let subscription = VoiceTapSubscription(tap: tap, capacity: capacity) { [weak self] in
            guard let id = box.id else { return }
            self?.entries.withLock { _ = $0[tap]?.removeValue(forKey: id) }
        }
        let id = ObjectIdentifier(subscription)
        box.id = id
        entries.withLock { $0[tap, default: [:]][id] = Entry(subscription: subscription) }
        return subscription
    }

    /// Open subscriptions per tap (for status and tests).
    public var openCounts: [VoiceTapName: Int] { entries.withLock { $0.mapValues(\.count) } }

    /// Whether anyone listens to `tap` (probes skip all work otherwise).
    public func wants(_ tap: VoiceTapName) -> Bool { entries.withLock { !($0[tap]?.isEmpty ?? true) } }

    /// Hands `buffer` to every subscription of its tap (the graphs' probes call this; `partybus bench record` too).
    public func deliver(_ buffer: VoiceTapBuffer) {
        let subscriptions = entries.withLock { $0[buffer.tap].map { Array($0.values.map(\.subscription)) } ?? [] }
        for subscription in subscriptions where !subscription.offer(buffer) {
            let dropped = subscription.dropped
            let report = entries.withLock { all -> Bool in
                let id = ObjectIdentifier(subscription)
                guard var entry = all[buffer.tap]?[id] else { return false }
                guard entry.lastLoggedDrops == 0 || dropped - entry.lastLoggedDrops >= 1000 else { return false }
                entry.lastLoggedDrops = dropped
                all[buffer.tap]?[id] = entry
                return true
            }
            if report {
                logger.warning("voice tap subscriber behind: buffers dropped", metadata: [
                    "tap": "\(buffer.tap.rawValue)", "dropped": "\(dropped)", "capacity": "\(subscription.capacity)",
                ])
            }
        }
    }

    /// Ends every subscription (shutdown).
    public func closeAll() {
        let all = entries.withLock { all -> [VoiceTapSubscription] in
            defer { all = [:] }
            return all.values.flatMap { $0.values.map(\.subscription) }
        }
        for subscription in all { subscription.cancel() }
    }

    private final class WeakBox: @unchecked Sendable {
        var id: ObjectIdentifier?
    }
}

/// One probe's identity: which tap it feeds, for which peer and session, and whether its buffers are RTP.
final class TapPoint: Sendable {
    let hub: VoiceTapHub
    let tap: VoiceTapName
    let peer: String?
    let sessionId: String?
    let rtp: Bool

    init(hub: VoiceTapHub, tap: VoiceTapName, peer: String?, sessionId: String?, rtp: Bool) {
        self.hub = hub
        self.tap = tap
        self.peer = peer
        self.sessionId = sessionId
        self.rtp = rtp
    }

    /// Whether anyone listens to this point's tap (asked by the probe before it reads anything of the buffer).
    var wanted: Bool { hub.wants(tap) }

    /// Called on a streaming thread with a mapped buffer.
    func received(_ data: UnsafeBufferPointer<UInt8>, monotonic: Int64, format: Int32, rate: Int32, channels: Int32) {
        guard hub.wants(tap) else { return }
        let when: Int64? = monotonic < 0 ? nil : monotonic
        if rtp {
            guard let packet = RTPPacket(data) else { return }
            hub.deliver(VoiceTapBuffer(
                tap: tap, peer: peer, sessionId: sessionId, format: .opus, bytes: packet.payload,
                monotonicNanoseconds: when, rtpTimestamp: packet.timestamp))
            return
        }
        let kind: VoiceTapBuffer.Format
        switch format {
        case 1: kind = .s16le(rate: Int(rate), channels: Int(channels))
        case 2: kind = .f32le(rate: Int(rate), channels: Int(channels))
        default: return
        }
        hub.deliver(VoiceTapBuffer(
            tap: tap, peer: peer, sessionId: sessionId, format: kind, bytes: Array(data), monotonicNanoseconds: when))
    }
}

/// The payload of an RTP packet (RFC 3550: fixed header, CSRCs, extension, padding), without copying the rest.
struct RTPPacket {
    var payload: [UInt8]
    var timestamp: UInt32

    init?(_ data: UnsafeBufferPointer<UInt8>) {
        guard data.count >= 12, data[0] >> 6 == 2 else { return nil }
        var start = 12 + Int(data[0] & 0x0F) * 4
        if data[0] & 0x10 != 0 {
            guard data.count >= start + 4 else { return nil }
            start += 4 + (Int(data[start + 2]) << 8 | Int(data[start + 3])) * 4
        }
        var end = data.count
        if data[0] & 0x20 != 0, let padding = data.last { end -= Int(padding) }
        guard start < end else { return nil }
        payload = Array(data[start..<end])
        timestamp = UInt32(data[4]) << 24 | UInt32(data[5]) << 16 | UInt32(data[6]) << 8 | UInt32(data[7])
    }
}

private func tapReceived(
    _ context: UnsafeMutableRawPointer?, _ data: UnsafePointer<UInt8>?, _ size: UInt, _ monotonic: Int,
    _ format: Int32, _ rate: Int32, _ channels: Int32
) {
    guard let context, let data else { return }
    Unmanaged<TapPoint>.fromOpaque(context).takeUnretainedValue()
        .received(UnsafeBufferPointer(start: data, count: Int(size)), monotonic: Int64(monotonic), format: format, rate: rate, channels: channels)
}

private func tapWanted(_ context: UnsafeMutableRawPointer?) -> Int32 {
    guard let context else { return 0 }
    return Unmanaged<TapPoint>.fromOpaque(context).takeUnretainedValue().wanted ? 1 : 0
}

private func releaseTapPoint(_ context: UnsafeMutableRawPointer?) {
    if let context { Unmanaged<TapPoint>.fromOpaque(context).release() }
}

extension TapPoint {
    /// Puts this point's probe on pad `pad` of the element `element` inside `bin`. False when there is no such pad.
    @discardableResult
    func attach(to bin: UnsafeMutablePointer<GstElement>, element: String, pad: String) -> Bool {
        let context = Unmanaged.passRetained(self).toOpaque()
        let callback: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, UInt, Int, Int32, Int32, Int32) -> Void = tapReceived
        let wanted: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = tapWanted
        let destroy: @convention(c) (UnsafeMutableRawPointer?) -> Void = releaseTapPoint
        return pb_tap_pad(bin, element, pad, callback, wanted, context, destroy) != 0
    }
}
