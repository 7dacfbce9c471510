import CGStreamer

/// What a peer's webrtcbin reports of the audio it receives (`get-stats`, W3C `inbound-rtp`).
public struct PeerRTPStatistics: Sendable, Equatable {
    /// The peer (a member's account id, or `bridge`).
    public var peer: String
    /// RTP packets received so far.
    public var packetsReceived: UInt64
    /// RTP packets lost so far (may be negative briefly, as RTCP defines it, when duplicates arrive).
    public var packetsLost: Int64
    /// Interarrival jitter in seconds.
    public var jitterSeconds: Double
}

extension PeerBin {
    /// Asks webrtcbin for its statistics (blocks up to 5 s: call on the peer's queue). Nil before any inbound stream.
    func inboundStatistics() -> PeerRTPStatistics? {
        var received: guint64 = 0
        var lost: gint64 = 0
        var jitter: Double = 0
        guard pb_webrtc_inbound_stats(webrtc, &received, &lost, &jitter) != 0 else { return nil }
        return PeerRTPStatistics(
            peer: peer, packetsReceived: UInt64(received), packetsLost: Int64(lost), jitterSeconds: jitter)
    }
}
