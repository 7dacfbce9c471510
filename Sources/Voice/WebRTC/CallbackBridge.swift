import CGStreamer
import Foundation

/// What GStreamer threads report to a running voice graph, in the order they happened.
public enum VoiceGraphEvent: Sendable, Equatable {
    /// A peer's ICE connection state changed (`new`, `checking`, `connected`, `completed`, `failed`,
    /// `disconnected`, `closed`).
    case iceState(peer: String, state: String)
    /// The first decoded audio from a peer left its receive chain.
    case firstAudio(peer: String)
    /// A graph's own `level` element's loudest-channel RMS in dB (at its interval). Peers' meters and the
    /// `micmeter` do not post readings: they report `speaking` changes only.
    case level(element: String, rms: Double)
    /// A speaking detector (`SpeakingThresholds`) on `meter_<peer>` or the graph's `micmeter` saw speaking start or
    /// stop; `levelDb` is the reading that decided it.
    case speaking(element: String, speaking: Bool, levelDb: Double)
    /// An element reported an error; `peer` when the element belongs to a peer's bin. Errors of a bin being taken
    /// out (or already out) of the graph come as warnings: tearing a peer down makes its elements fail on the way.
    case error(element: String, message: String, peer: String?)
    /// An element reported a warning.
    case warning(element: String, message: String)
    /// The graph reached end-of-stream.
    case endOfStream
    /// An audio device of the graph failed while playing (`DeviceCheck`): the graph goes on without it.
    case degraded(GraphDegradation)
}

/// The one serial path from GStreamer's threads into Swift: every callback yields into the same continuation, so
/// consumers see events in callback order (a `Task` per callback would not keep it). Passed to C as an
/// `Unmanaged` context, retained per connection and released by the destroy-notify.
final class CallbackBridge: Sendable {
    let continuation: GraphEventFeed
    let peer: String

    init(continuation: GraphEventFeed, peer: String) {
        self.continuation = continuation
        self.peer = peer
    }

    /// A retained pointer for a C callback's user data; `releaseContext` balances it.
    func retainedContext() -> UnsafeMutableRawPointer { Unmanaged.passRetained(self).toOpaque() }

    static func from(_ context: UnsafeMutableRawPointer?) -> CallbackBridge? {
        context.map { Unmanaged<CallbackBridge>.fromOpaque($0).takeUnretainedValue() }
    }
}

/// GClosureNotify: releases a bridge retained for a signal handler.
func releaseSignalContext(_ context: UnsafeMutableRawPointer?, _ closure: UnsafeMutablePointer<GClosure>?) {
    if let context { Unmanaged<CallbackBridge>.fromOpaque(context).release() }
}

/// GDestroyNotify: releases a bridge retained for a pad probe.
func releaseProbeContext(_ context: UnsafeMutableRawPointer?) {
    if let context { Unmanaged<CallbackBridge>.fromOpaque(context).release() }
}

/// `notify::ice-connection-state` handler (a global function: closures at main.swift's top level would be
/// main-actor isolated and trap on GStreamer's threads).
func iceConnectionStateChanged(_ object: UnsafeMutableRawPointer?, _ spec: UnsafeMutableRawPointer?, _ context: UnsafeMutableRawPointer?) {
    guard let object, let bridge = CallbackBridge.from(context) else { return }
    let names = ["new", "checking", "connected", "completed", "failed", "disconnected", "closed"]
    let value = Int(pb_enum_property(object, "ice-connection-state"))
    bridge.continuation.yield(.iceState(peer: bridge.peer, state: names.indices.contains(value) ? names[value] : "state-\(value)"))
}

/// First-buffer probe callback.
func firstAudioArrived(_ context: UnsafeMutableRawPointer?) {
    guard let bridge = CallbackBridge.from(context) else { return }
    bridge.continuation.yield(.firstAudio(peer: bridge.peer))
}

/// Connects the ICE state handler to a webrtcbin.
func connectICEState(_ webrtc: UnsafeMutablePointer<GstElement>, bridge: CallbackBridge) {
    typealias Notify = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void
    let handler: Notify = iceConnectionStateChanged
    let destroy: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<GClosure>?) -> Void = releaseSignalContext
    _ = pb_signal_connect(
        UnsafeMutableRawPointer(webrtc), "notify::ice-connection-state", unsafeBitCast(handler, to: GCallback.self),
        bridge.retainedContext(), destroy)
}

/// Calls back once when `element`'s src pad passes its first buffer.
func connectFirstBuffer(_ element: UnsafeMutablePointer<GstElement>, bridge: CallbackBridge) {
    let callback: @convention(c) (UnsafeMutableRawPointer?) -> Void = firstAudioArrived
    let destroy: @convention(c) (UnsafeMutableRawPointer?) -> Void = releaseProbeContext
    let context = bridge.retainedContext()
    if pb_on_first_buffer(element, "src", callback, context, destroy) == 0 {
        Unmanaged<CallbackBridge>.fromOpaque(context).release()
    }
}
