import Metrics

/// What the log reports through swift-metrics (a no-op until the process bootstraps a metrics backend, as `up`
/// does for `/metrics`): events appended, and how long an append waited until it was durable.
enum EventLogMetrics {
    /// `partybus_events_appended_total`.
    static let appendedCounter = Counter(label: "partybus_events_appended_total")
    /// `partybus_event_append_duration_seconds`: enqueue → durable, per append call.
    static let appendTimer = Metrics.Timer(label: "partybus_event_append_duration_seconds", preferredDisplayUnit: .seconds)

    static func appended(_ count: Int, since started: ContinuousClock.Instant) {
        appendedCounter.increment(by: count)
        appendTimer.record(duration: ContinuousClock.now - started)
    }
}
