import Prometheus
import Synchronization

/// Labelled gauges whose label can go away — a member's RTP figures, a plugin's lag: each scrape sets the series that
/// exist now and unregisters those the previous scrape set that are gone, so `/metrics` never keeps a departed
/// member's series (a daemon that runs for weeks would otherwise collect one per member ever met).
final class ScrapedGauges: Sendable {
    /// One series to set in a scrape.
    struct Sample: Sendable {
        var name: String
        var labels: [(String, String)]
        var help: String
        var value: Double
    }

    private let registry: PrometheusCollectorRegistry
    /// The series set by the last scrape, by name and labels.
    private let live = Mutex<[String: Gauge]>([:])

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// Sets every sample of this scrape and removes the series of the last scrape that are not among them.
    /// Serialised, so two scrapes at once cannot remove each other's series.
    func publish(_ samples: [Sample]) {
        live.withLock { live in
            var now: [String: Gauge] = [:]
            for sample in samples {
                let gauge = registry.makeGauge(name: sample.name, labels: sample.labels, help: sample.help)
                gauge.set(to: sample.value)
                now[Self.key(sample.name, sample.labels)] = gauge
            }
            for (key, gauge) in live where now[key] == nil { registry.unregisterGauge(gauge) }
            live = now
        }
    }

    private static func key(_ name: String, _ labels: [(String, String)]) -> String {
        ([name] + labels.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{1F}")
    }
}
