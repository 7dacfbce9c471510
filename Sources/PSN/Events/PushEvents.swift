public import PartyBusCore

/// `push.frame_received`: one frame from the push socket, kept exactly as it arrived.
public struct PushFrameReceived: EventPayload, Equatable {
    public static let eventType = "push.frame_received"
    /// The frame's text, byte for byte.
    public var text: String
    /// Its `dataType`, when it has one.
    public var dataType: String?
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
