public import PartyBusCore

/// `push.frame_received`: one frame from the push socket, kept exactly as it arrived — up to `maxKeptBytes`; a longer
/// frame keeps its first `maxKeptBytes` and says how long it was (`truncatedFrom`), so the log never holds an
/// outside-sized copy per frame.
public struct PushFrameReceived: EventPayload, Equatable {
    public static let eventType = "push.frame_received"
    /// The most bytes of a frame's text the event keeps (real frames are a few KiB).
    public static let maxKeptBytes = 64 * 1024
    /// The frame's text, byte for byte (its first `maxKeptBytes`, cut at a character, when `truncatedFrom` is set).
    public var text: String
    /// Its `dataType`, when it has one.
    public var dataType: String?
    /// Set when `text` was cut: the frame's full length in bytes.
    public var truncatedFrom: Int?

    /// The event for `frame`, cut to `maxKeptBytes` when longer.
    public static func keeping(_ frame: String, dataType: String?) -> PushFrameReceived {
        let utf8 = frame.utf8
        guard utf8.count > maxKeptBytes else { return PushFrameReceived(text: frame, dataType: dataType) }
        var end = utf8.index(utf8.startIndex, offsetBy: maxKeptBytes)
        while end > utf8.startIndex, UTF8.isContinuation(utf8[end]) { end = utf8.index(before: end) }
        return PushFrameReceived(text: String(frame[..<end]), dataType: dataType, truncatedFrom: utf8.count)
    }
}

/// `push.frame_rejected`: a frame that is not a JSON object of the E.5 shape (kept for debugging).
public struct PushFrameRejected: EventPayload, Equatable {
    public static let eventType = "push.frame_rejected"
    /// What is wrong.
    public var reason: String
    /// The first 2000 characters of the frame.
    public var text: String
}

/// `push.connected`: the push socket is up and authenticated (1003 sent).
public struct PushConnected: EventPayload, Equatable {
    public static let eventType = "push.connected"
    /// The host it connected to (`fqdn` from serveraddr).
    public var host: String
    /// 1 for the first connection, then 2, 3 … per reconnect.
    public var connection: Int
    /// Keepalive interval in ms.
    public var keepAliveMs: Int64
}

/// `push.disconnected`: the socket closed or died; a reconnect follows after `retryInMs`.
public struct PushDisconnected: EventPayload, Equatable {
    public static let eventType = "push.disconnected"
    /// Why (close code and reason, error, or missing pongs).
    public var reason: String
    /// The close code, when there was one (may be invalid, e.g. 65535).
    public var closeCode: Int?
    /// The backoff before the next attempt, in ms.
    public var retryInMs: Int64
}
