import Foundation
import PartyBusTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What a home-server user relies on besides the CLI: `/metrics`, `/livez`, `/readyz`, the Origin check, and
/// systemd's notify protocol — against `up` on the built-in simulator, over real sockets.
@Suite("Home server", .serialized)
struct HomeServerTests {
    /// `up` on the simulator with the API also on TCP; returns it with the port.
    func startDaemon(_ dir: TemporaryDirectory, environment: [String: String] = [:]) async throws -> (RunningPartybus, Int) {
        let port = Int.random(in: 20_000...40_000)
        let daemon = try RunningPartybus(
            ["up", "--no-scene", "--no-media", "--data-dir", dir.path("data"), "--config", "/dev/null"],
            environment: ["PARTYBUS_API__LISTEN": "127.0.0.1:\(port)", "PARTYBUS_VOICE__ENABLED": "false"].merging(environment) { $1 })
        let ready = await eventually(timeout: .seconds(30)) {
            FileManager.default.fileExists(atPath: dir.path("data/sim/control.sock")) || !daemon.process.isRunning
        }
        #expect(ready && daemon.process.isRunning, "up: \(daemon.stderr.text)")
        return (daemon, port)
    }

    func get(_ port: Int, _ path: String, headers: [String: String] = [:], method: String = "GET") async throws -> (Int, String, String?) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (body, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, String(decoding: body, as: UTF8.self), http?.value(forHTTPHeaderField: "Content-Type"))
    }

    @Test("/metrics parses strictly and its counters move as events happen; /livez and /readyz answer")
    func metricsAndHealth() async throws {
        let dir = try TemporaryDirectory()
        let (daemon, port) = try await startDaemon(dir)
        #expect(try await get(port, "/livez").0 == 200)
        var ready = false
        for _ in 0..<200 where !ready {
            ready = (try? await get(port, "/readyz").0) == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        let readiness = try? await get(port, "/readyz").1
        #expect(ready, "never ready: \(readiness ?? "-")")

        let (status, before, type) = try await get(port, "/metrics")
        #expect(status == 200 && type?.hasPrefix("text/plain; version=0.0.4") == true, "\(status) \(type ?? "-")")
        let first = try PrometheusText(before)
        #expect(first.types["partybus_events_appended_total"] == "counter")
        #expect(first.types["partybus_event_append_duration_seconds"] == "histogram")
        #expect(first.value("partybus_push_connected") == 1)
        let appended = try #require(first.value("partybus_events_appended_total"))

        let created = try PartybusProcess.run(["parties", "create", "--data-dir", dir.path("data"), "--config", "/dev/null"])
        #expect(created.status == 0, "\(created.stderr)")
        let after = try PrometheusText(try await get(port, "/metrics").1)
        #expect((after.value("partybus_events_appended_total") ?? 0) > appended)
        #expect((after.value("partybus_psn_requests_total", ["endpoint": "createParty", "status": "201"]) ?? 0) >= 1, "\(after.samples.filter { $0.name.hasPrefix("partybus_psn") })")
        #expect((after.value("partybus_event_append_duration_seconds_count") ?? 0) >= (after.value("partybus_events_appended_total") ?? 0) / 100)
        #expect(after.value("partybus_parties") == 1)
        #expect(await daemon.stop() == 0)
    }

    @Test("/metrics carries each member's RTP packets received, lost and jitter from webrtcbin's statistics")
    func rtpStatistics() async throws {
        let dir = try TemporaryDirectory()
        let port = Int.random(in: 20_000...40_000)
        // The simulator's scene: members with real webrtcbin peers sending tones; our mic is the headless graph's tone.
        let daemon = try RunningPartybus(
            ["up", "--data-dir", dir.path("data"), "--config", "/dev/null"],
            environment: [
                "PARTYBUS_API__LISTEN": "127.0.0.1:\(port)",
                "PARTYBUS_VOICE__GRAPH": PartybusProcess.packageRoot.appendingPathComponent("pipelines/headless-test.yaml").path,
                "PARTYBUS_VOICE__TEST__OUTPUT": dir.path("mix.wav"),
            ])
        #expect(await eventually(timeout: .seconds(30)) { daemon.stdout.text.contains("voice.first_audio") }, "\(daemon.stderr.text)")
        var metrics: PrometheusText?
        for _ in 0..<100 {
            if let text = try? await get(port, "/metrics").1, let parsed = try? PrometheusText(text),
                (parsed.value("partybus_voice_peer_rtp_packets_received", ["peer": "2000000000000000002"]) ?? 0) > 0
            {
                metrics = parsed
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let parsed = try #require(metrics, "no member's RTP packets in /metrics")
        #expect(parsed.types["partybus_voice_peer_rtp_packets_lost"] == "gauge")
        let jitter = try #require(parsed.value("partybus_voice_peer_rtp_jitter_seconds", ["peer": "2000000000000000002"]))
        #expect(jitter >= 0 && jitter < 1, "jitter \(jitter) s")
        #expect(parsed.value("partybus_voice_peer_rtp_packets_lost", ["peer": "2000000000000000002"]) != nil)

        // We leave the party (from the CLI): voice stops, and the members' series leave /metrics with it — a
        // daemon that runs for weeks must not keep one per member it ever met.
        let listed = try PartybusProcess.run(["parties", "list", "--json", "--data-dir", dir.path("data"), "--config", "/dev/null"])
        struct Listed: Decodable { var sessionId: String }
        let sessionId = try #require(try JSONDecoder().decode([Listed].self, from: Data(listed.stdout.utf8)).first?.sessionId, "\(listed.stderr)")
        let left = try PartybusProcess.run(["parties", "leave", sessionId, "--data-dir", dir.path("data"), "--config", "/dev/null"])
        #expect(left.status == 0, "\(left.stderr)")
        var remaining: [String] = ["not scraped"]
        for _ in 0..<50 where !remaining.isEmpty {
            if let text = try? await get(port, "/metrics").1, let scraped = try? PrometheusText(text) {
                remaining = scraped.samples.filter { $0.name.hasPrefix("partybus_voice_peer_rtp") }.map(\.name)
                if remaining.isEmpty { #expect(scraped.value("partybus_voice_running") == 0) }
            }
            if !remaining.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(remaining.isEmpty, "series of departed members still in /metrics: \(remaining)")
        #expect(await daemon.stop() == 0)
    }

    @Test("a request from a foreign Origin is refused; the same origin is served")
    func foreignOrigin() async throws {
        let dir = try TemporaryDirectory()
        let (daemon, port) = try await startDaemon(dir)
        let foreign = try await get(port, "/v1/parties", headers: ["Origin": "http://evil.example"], method: "POST")
        #expect(foreign.0 == 403, "\(foreign)")
        let same = try await get(port, "/v1/status", headers: ["Origin": "http://127.0.0.1:\(port)"])
        #expect(same.0 == 200, "\(same)")
        #expect(await daemon.stop() == 0)
    }

    @Test("systemd: READY=1, then WATCHDOG=1, then STOPPING=1 on SIGTERM, through a fake NOTIFY_SOCKET")
    func systemdNotify() async throws {
        let dir = try TemporaryDirectory()
        let socketPath = dir.path("notify.sock")
        let receiver = try DatagramReceiver(path: socketPath)
        let (daemon, _) = try await startDaemon(dir, environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "400000"])
        #expect(await eventually(timeout: .seconds(20)) { receiver.messages.contains { $0.contains("READY=1") } }, "\(receiver.messages)")
        #expect(await eventually(timeout: .seconds(10)) { receiver.messages.contains("WATCHDOG=1") }, "\(receiver.messages)")
        kill(daemon.pid, SIGTERM)
        #expect(await eventually(timeout: .seconds(10)) { receiver.messages.contains { $0.contains("STOPPING=1") } }, "\(receiver.messages)")
        #expect(await daemon.stop() == 0)
        let ready = try #require(receiver.messages.firstIndex { $0.contains("READY=1") })
        let watchdog = try #require(receiver.messages.firstIndex(of: "WATCHDOG=1"))
        let stopping = try #require(receiver.messages.firstIndex { $0.contains("STOPPING=1") })
        #expect(ready < watchdog && watchdog < stopping)
        #expect(receiver.messages[ready].contains("MAINPID=\(daemon.pid)"))
    }

    @Test("service unit: Type=notify, watchdog, StateDirectory and hardening")
    func serviceUnit() throws {
        let unit = try PartybusProcess.run(["service", "unit"])
        #expect(unit.status == 0)
        for line in ["Type=notify", "WatchdogSec=30", "StateDirectory=partybus", "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "ExecStart=/"] {
            #expect(unit.stdout.contains(line), "missing \(line)")
        }
        #expect(unit.stdout.contains(" up --quiet --data-dir %S/partybus"))
    }
}

/// A Unix datagram socket standing in for systemd's notify socket: collects what the daemon sends.
final class DatagramReceiver: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var received: [String] = []

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw CocoaError(.fileWriteUnknown) }
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { break }
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                lock.withLock { received.append(text) }
            }
        }
    }

    /// What arrived so far, one entry per datagram.
    var messages: [String] { lock.withLock { received } }

    deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}
