import Metrics

/// What the PSN client reports through swift-metrics (a no-op until a backend is bootstrapped, as `up` does).
enum PSNMetrics {
    /// `partybus_psn_requests_total{endpoint, status}`: every request sent, retries included. The endpoint label
    /// is the endpoint's name without its arguments (`customMessage`, not `customMessage to 2000…`), so it stays a
    /// small set.
    static func request(_ endpoint: String, status: String) {
        let name = endpoint.split(separator: " ").first.map(String.init) ?? endpoint
        Counter(label: "partybus_psn_requests_total", dimensions: [("endpoint", name), ("status", status)]).increment()
    }

    /// `partybus_push_reconnects_total`: push connections after the first.
    static func pushReconnected() { Counter(label: "partybus_push_reconnects_total").increment() }

    /// `partybus_push_messages_oversized_total`: push messages longer than the bound, which end the connection.
    static func pushMessageOversized() { Counter(label: "partybus_push_messages_oversized_total").increment() }

    /// `partybus_push_frames_truncated_total`: push frames kept cut in `push.frame_received` (longer than
    /// `PushFrameReceived.maxKeptBytes`; the event says the full length).
    static func pushFrameTruncated() { Counter(label: "partybus_push_frames_truncated_total").increment() }

    /// `partybus_http_responses_oversized_total`: HTTP response bodies longer than the bound, which fail the call.
    static func httpResponseOversized() { Counter(label: "partybus_http_responses_oversized_total").increment() }
}
