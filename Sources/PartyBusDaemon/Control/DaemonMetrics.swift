import Foundation
import PSN
import PartyBusCore
import PartyVoice
import Voice
import Metrics
import Prometheus
import Synchronization

/// The daemon's Prometheus registry: swift-metrics is bootstrapped onto it once per process, so the counters and
/// timers of the log and the PSN client land here; gauges that describe state (voice peers, plugin lag) are set
/// from the projections at each scrape.
public final class DaemonMetrics: Sendable {
    /// The registry `/metrics` renders.
    let registry: PrometheusCollectorRegistry
    /// Per-member and per-plugin series, removed when their member or plugin is gone.
    let labelled: ScrapedGauges

    private static let shared = Mutex<DaemonMetrics?>(nil)

    private init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        labelled = ScrapedGauges(registry: registry)
    }

    /// The process's metrics, bootstrapping swift-metrics on first use.
    public static func bootstrap() -> DaemonMetrics {
        shared.withLock { existing in
            if let existing { return existing }
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            // Appends are durable in about a millisecond; a slow disk shows in the upper buckets.
            factory.durationHistogramBuckets["partybus_event_append_duration_seconds"] = [
                .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .milliseconds(500), .seconds(1),
            ]
            MetricsSystem.bootstrap(factory)
            let made = DaemonMetrics(registry: registry)
            existing = made
            return made
        }
    }

    /// The Prometheus text format, after setting the state gauges from `context`.
    func render(_ context: DaemonContext) async -> Data {
        await context.caughtUp()
        let voice = await context.voice?.status()
        registry.makeGauge(name: "partybus_voice_running", help: "1 while party voice runs").set(to: voice?.running == true ? 1 : 0)
        let peers = voice?.peers.filter { $0.peer != "bridge" } ?? []
        registry.makeGauge(name: "partybus_voice_peers", help: "WebRTC peers of party voice (members, not the bridge)")
            .set(to: Double(peers.count))
        let connected = peers.filter { ["connected", "completed"].contains($0.state) }.count
        registry.makeGauge(name: "partybus_voice_peers_connected", help: "Peers whose ICE is connected or completed")
            .set(to: Double(connected))
        registry.makeGauge(name: "partybus_voice_events_dropped", help: "Voice graph events (mostly level readings) dropped because their consumer was behind, since start")
            .set(to: Double(VoiceGraph.droppedEventsTotal))
        registry.makeGauge(name: "partybus_voice_peer_bins_alive", help: "WebRTC peer bins GStreamer has not freed yet (peers in the graph and those being torn down)")
            .set(to: Double(VoiceGraph.peerBinsAliveTotal))
        var samples: [ScrapedGauges.Sample] = []
        for statistics in await context.voice?.rtpStatistics() ?? [] {
            let labels = [("peer", statistics.peer)]
            samples += [
                .init(name: "partybus_voice_peer_rtp_packets_received", labels: labels, help: "RTP packets received from a peer (webrtcbin inbound-rtp)",
                      value: Double(statistics.packetsReceived)),
                .init(name: "partybus_voice_peer_rtp_packets_lost", labels: labels, help: "RTP packets lost from a peer (webrtcbin inbound-rtp)",
                      value: Double(statistics.packetsLost)),
                .init(name: "partybus_voice_peer_rtp_jitter_seconds", labels: labels, help: "Interarrival jitter of a peer's RTP (webrtcbin inbound-rtp)",
                      value: statistics.jitterSeconds),
            ]
        }
        let status = context.status.current
        registry.makeGauge(name: "partybus_push_connected", help: "1 while the push socket is up").set(to: status.push == "connected" ? 1 : 0)
        registry.makeGauge(name: "partybus_log_head", help: "The seq of the last durable event").set(to: Double(context.log.head))
        registry.makeGauge(name: "partybus_parties", help: "Parties we are in").set(to: Double(context.parties.current.parties.count))
        let head = context.log.head
        for (name, plugin) in context.plugins.current.plugins {
            let labels = [("plugin", name)]
            let checkpoint = (try? context.log.checkpoint(for: name)).flatMap { $0 } ?? 0
            samples += [
                .init(name: "partybus_plugin_failures", labels: labels, help: "Failures of a plugin (handler errors, timeouts, load)",
                      value: Double(plugin.failures)),
                .init(name: "partybus_plugin_lag_events", labels: labels, help: "Events between the log head and a plugin's saved checkpoint",
                      value: Double(head >= checkpoint ? head - checkpoint : 0)),
                .init(name: "partybus_plugin_lagging", labels: labels, help: "Times a plugin fell behind its queue and read the log instead",
                      value: Double(plugin.lagged)),
            ]
        }
        // A departed member's (or removed plugin's) series go with it: the registry stays as big as the party.
        labelled.publish(samples)
        registry.makeGauge(name: "partybus_recordings_active", help: "Recordings in progress (record.started not yet saved)")
            .set(to: Double(status.recordings.count))
        let heap = HeapStatistics.now()
        registry.makeGauge(name: "partybus_heap_in_use_bytes", help: "C heap held by live allocations (glibc mallinfo2, every arena)")
            .set(to: Double(heap.inUse))
        registry.makeGauge(name: "partybus_heap_free_bytes", help: "C heap free inside malloc's arenas, not given back to the kernel (fragmentation)")
            .set(to: Double(heap.free))
        registry.makeGauge(name: "partybus_sqlite_memory_bytes", help: "C heap held by SQLite (page caches of the log's connections, statements)")
            .set(to: Double(SQLiteMemory.inUse))
        registry.makeGauge(name: "partybus_heap_arenas", help: "malloc arenas (main and per-thread; capped for the daemon, docs/architecture.md)")
            .set(to: Double(heap.arenas))
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return Data(buffer)
    }
}
