/// The RFC 8489 §6.2.1 retransmission schedule for requests over UDP.
public struct StunRetransmission: Sendable, Hashable {
    /// The initial retransmission timeout (RFC default 500 ms; tests use less).
    public var initialRTO: Duration
    /// How many times a request is sent in all (Rc, default 7).
    public var requestCount: Int
    /// After the last send, wait this many initial RTOs for an answer (Rm, default 16).
    public var lastWaitMultiplier: Int

    /// The RFC's defaults: RTO 500 ms, Rc 7, Rm 16 (a request gives up after 39.5 s).
    public static let rfcDefault = StunRetransmission(initialRTO: .milliseconds(500), requestCount: 7, lastWaitMultiplier: 16)

    /// Makes a schedule.
    public init(initialRTO: Duration, requestCount: Int, lastWaitMultiplier: Int) {
        self.initialRTO = initialRTO
        self.requestCount = max(1, requestCount)
        self.lastWaitMultiplier = max(1, lastWaitMultiplier)
    }

    /// The waits after each send: RTO, 2·RTO, 4·RTO … and Rm·RTO after the last.
    public var waits: [Duration] {
        var waits: [Duration] = []
        var rto = initialRTO
        for index in 0..<requestCount {
            if index == requestCount - 1 {
                waits.append(initialRTO * lastWaitMultiplier)
            } else {
                waits.append(rto)
                rto = rto * 2
            }
        }
        return waits
    }
}
