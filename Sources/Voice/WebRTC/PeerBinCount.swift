import CGStreamer
import Synchronization

/// Peer bins built and not yet freed by GStreamer — per graph and for the whole process. A bin counts from the
/// moment it is built until GStreamer has finalized both it and its webrtcbin (weak references on the two), so a
/// reference we forget to drop (the webrtcbin we looked up, a probe, a signal handler) keeps it counted: after
/// every peer has left and the teardowns are done, the count is back where it started.
final class PeerBinCount: Sendable {
    private let value = Atomic<Int>(0)
    private static let total = Atomic<Int>(0)

    /// Bins of this graph not yet freed.
    var alive: Int { value.load(ordering: .sequentiallyConsistent) }

    /// Bins of every graph of the process not yet freed.
    static var aliveTotal: Int { total.load(ordering: .sequentiallyConsistent) }

    /// Counts `bin` until GStreamer has finalized it and `webrtc`.
    func track(bin: UnsafeMutablePointer<GstElement>, webrtc: UnsafeMutablePointer<GstElement>) {
        value.add(1, ordering: .sequentiallyConsistent)
        Self.total.add(1, ordering: .sequentiallyConsistent)
        let pending = PendingFinalization(count: self, objects: 2)
        let notify: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<GObject>?) -> Void = peerObjectFinalized
        for object in [bin, webrtc] {
            pb_on_finalize(UnsafeMutableRawPointer(object), notify, Unmanaged.passRetained(pending).toOpaque())
        }
    }

    fileprivate func freed() {
        value.subtract(1, ordering: .sequentiallyConsistent)
        Self.total.subtract(1, ordering: .sequentiallyConsistent)
    }
}

/// The objects of one bin GStreamer has still to finalize.
private final class PendingFinalization: Sendable {
    let count: PeerBinCount
    private let remaining: Atomic<Int>

    init(count: PeerBinCount, objects: Int) {
        self.count = count
        remaining = Atomic(objects)
    }

    func finalized() {
        if remaining.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 { count.freed() }
    }
}

/// GWeakNotify of a tracked object: one object fewer; releases the reference retained for it.
private func peerObjectFinalized(_ context: UnsafeMutableRawPointer?, _ object: UnsafeMutablePointer<GObject>?) {
    guard let context else { return }
    Unmanaged<PendingFinalization>.fromOpaque(context).takeRetainedValue().finalized()
}
