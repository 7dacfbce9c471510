import PartyBusPluginAPI

/// `webhook.dead_letter`: an event could not be delivered after every try (or the receiver refused it with a 4xx
/// that a retry cannot change). The event itself stays in the log at `seq`.
public struct WebhookDeadLetter: EventPayload, Equatable {
    public static let eventType = "webhook.dead_letter"
    /// The receiver, without user, password or query.
    public var url: String
    /// The undelivered event's seq.
    public var seq: UInt64
    /// Its type.
    public var eventType: String
    /// Tries made.
    public var attempts: Int
    /// The last HTTP status, when the receiver answered.
    public var status: Int?
    /// What went wrong the last time.
    public var error: String
}

/// `webhook.dropped`: the delivery queue was full (the receiver is slow or down), so events were not queued.
/// Reported at the first drop, then at most every 10 s while drops go on, and at stop.
public struct WebhookDropped: EventPayload, Equatable {
    public static let eventType = "webhook.dropped"
    /// The receiver, without user, password or query.
    public var url: String
    /// Events dropped since the last report.
    public var dropped: Int
    /// Events dropped since the plugin started.
    public var totalDropped: Int
    /// The first and last seq dropped since the last report.
    public var firstSeq: UInt64
    /// The last seq dropped since the last report.
    public var lastSeq: UInt64
    /// The queue's capacity (`options.queue_capacity`).
    public var queueCapacity: Int
}
