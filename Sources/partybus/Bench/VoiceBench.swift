import ArgumentParser
import Foundation
import PSN
import PSNSimulator
import PartyBusCore
import PartyBusDaemon
import PartyVoice
import Voice

/// `partybus bench voice`: join → first remote audio against the in-process simulator, and the added latency from
/// RTP arriving to audio leaving the mix, timed with clicks.
struct VoiceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice", abstract: "Voice: join → first remote audio, and RTP-in → audio-out latency with clicks.")

    @Option(name: .long, help: "Joins to time.") var joins = 5
    @Option(name: .long, help: "Clicks to time.") var clicks = 20
    @Option(name: .long, help: "Seconds per CPU/RSS window (1 and 4 remote members).") var seconds = 60
    @Option(name: .long, help: "webrtcbin jitterbuffer latency in ms on the receiving side (the shipped graphs use 40).") var jitterbuffer = 40
    @Flag(name: .long, help: "Skip the CPU/RSS windows.") var noUsage = false

    /// A tone (or clicks) as the mic, the mix through a clock-synchronised identity (`out`) into a fakesink.
    /// `encoder` is the opusenc's props: the shipped graphs' (40 ms frames, FEC, as PSN sends) for CPU and RSS; 20 ms
    /// frames without FEC for the clicks, so a click's Opus packet is the only large one (see the clicks below).
    static func graph(wave: String, encoder: String = "bitrate: 40000, frame-size: 20") -> String {
        """
        graph: bench-\(wave)
        nodes:
          mic:  { element: audiotestsrc, props: { wave: \(wave), is-live: true, volume: 0.8, samplesperbuffer: 960 } }
          enc:  { element: opusenc, props: { \(encoder) } }
          pay:  { element: rtpopuspay, props: { pt: 111 } }
          send: { element: tee, props: { allow-not-linked: true } }
          mix:  { element: audiomixer }
          out:  { element: identity, props: { sync: true } }
          sink: { element: fakesink, props: { sync: false } }
        links:
          - mic ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=48000,channels=1 ! volume name=mute ! enc ! pay ! send
          - mix ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! audio/x-raw,format=S16LE,channels=1 ! out ! sink
        peer:
          webrtc: { bundle-policy: max-bundle, latency: "${bench.latency:-40}" }
          receive: rtpopusdepay name=depay ! opusdec ! audioconvert ! audioresample ! volume name=level ! mix
          tap: level
        taps: { party-mix: mix, mic: send }
        """
    }

    /// CPU % of one core and peak-ish RSS of this process over a window.
    static func usage(seconds: Int) async throws -> (cpu: Double, rssMB: Double) {
        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        func rssMB() -> Double {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
        }
        let startCPU = cpuSeconds(), start = ContinuousClock.now
        var peak = 0.0
        while ContinuousClock.now - start < .seconds(seconds) {
            try await Task.sleep(for: .milliseconds(500))
            peak = max(peak, rssMB())
        }
        let wall = (ContinuousClock.now - start).seconds
        return ((cpuSeconds() - startCPU) / wall * 100, peak)
    }

    func run() async throws {
        #if DEBUG
        printError("warning: this is a debug build; run `swift run -c release partybus bench voice`")
        #endif
        Logging.bootstrapOnce(level: .error)
        print("PartyBus voice benchmark")
        // First, while this process holds nothing else: CPU and RSS of our side alone.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("partybus-bench-voice-usage-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if !noUsage { try await measureUsage(folder: folder, seconds: seconds) }
        try await runAll()
    }

    func runAll() async throws {
        var configuration = SimulatorConfiguration(accounts: [BuiltinSimulator.me] + BuiltinSimulator.cast)
        configuration.clientSecret = "sim-client-secret"
        let joins = self.joins, clicks = self.clicks, jitter = self.jitterbuffer
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("partybus-bench-voice-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let silent = folder.appendingPathComponent("silence.yaml"), ticking = folder.appendingPathComponent("ticks.yaml")
        try Self.graph(wave: "silence").write(to: silent, atomically: true, encoding: .utf8)
        try Self.graph(wave: "ticks").write(to: ticking, atomically: true, encoding: .utf8)
        try await PSNSimulator.withRunning(configuration: configuration, logger: Logging.engine) { simulator in
            let host = try await VoiceBenchClient(
                simulator: simulator, account: BuiltinSimulator.cast[0], graph: ticking, variables: [:],
                folder: folder.appendingPathComponent("host"))
            let me = try await VoiceBenchClient(
                simulator: simulator, account: BuiltinSimulator.me, graph: silent, variables: ["bench.latency": String(jitter)],
                folder: folder.appendingPathComponent("me"))
            print("  then the simulator and two members in this process, ICE on 127.0.0.1:")
            var firstAudio: [Double] = []
            var sessionId = ""
            for round in 0..<joins {
                sessionId = try await host.client.parties.create(name: "bench")
                try await host.client.parties.invite(sessionId, accountIds: [BuiltinSimulator.me.accountId])
                _ = try await host.wait(for: "voice.started", containing: sessionId)
                let mark = me.log.head
                let start = ContinuousClock.now
                try await me.client.parties.join(sessionId)
                _ = try await me.wait(for: "voice.first_audio", containing: BuiltinSimulator.cast[0].accountId, after: mark)
                firstAudio.append((ContinuousClock.now - start).seconds * 1000)
                if round < joins - 1 {
                    try await me.client.parties.leave(sessionId)
                    try await host.client.parties.leave(sessionId)
                }
            }
            firstAudio.sort()
            print(String(format: "  join → first remote audio: median %.0f ms, max %.0f ms over %d joins (goal ≤ 1500 ms)",
                         firstAudio[firstAudio.count / 2], firstAudio.last!, firstAudio.count))

            // Clicks: the host's mic ticks once a second. Same process, same monotonic clock, three probes:
            //   mouth  = the click leaving the host's `mute` (into its encoder);
            //   RTP in = the click's RTP packet entering our webrtcbin's rtpbin (decrypted, before the jitterbuffer) —
            //            told from the others by size: the host's mic is silent between clicks, so only a click's
            //            Opus packet is larger than `BENCH_RTP_BYTES` (default 100); it must follow a mouth pulse
            //            within 100 ms to count;
            //   ear    = the click leaving our clock-synchronised `out`.
            guard let ourGraph = await me.voice.graph, let hostGraph = await host.voice.graph else {
                throw VoiceError("voice is not running")
            }
            let rtpThreshold = Int(ProcessInfo.processInfo.environment["BENCH_RTP_BYTES"] ?? "") ?? 100
            let mouth = try hostGraph.watchPulses(element: "mute", pad: "src", kind: .amplitude(4000))
            let arrival = try ourGraph.watchPulses(element: "rtpbin", pad: "recv_rtp_sink_0", kind: .bufferSize(rtpThreshold))
            let ear = try ourGraph.watchPulses(element: "out", pad: "src", kind: .amplitude(4000))
            let deadline = ContinuousClock.now + .seconds(clicks + 10)
            while ear.pulses.count < clicks + 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            if ProcessInfo.processInfo.environment["BENCH_DEBUG"] != nil {
                print("mouth", mouth.pulses.map { $0 / 1000 }, "rtp in", arrival.pulses.map { $0 / 1000 }, "ear", ear.pulses.map { $0 / 1000 })
            }
            var endToEnd: [Double] = [], sending: [Double] = [], receiving: [Double] = []
            let ears = ear.pulses, arrivals = arrival.pulses
            func first(after time: Int64, in pulses: [Int64], within limit: Int64) -> Int64? {
                pulses.first { $0 >= time && $0 - time < limit }
            }
            // The first click may meet a mixer that is still settling: skip it.
            for spoken in mouth.pulses.dropFirst() {
                guard let heard = first(after: spoken, in: ears, within: 800_000) else { continue }
                endToEnd.append(Double(heard - spoken) / 1000)
                if let received = first(after: spoken, in: arrivals, within: 100_000), heard > received {
                    sending.append(Double(received - spoken) / 1000)
                    receiving.append(Double(heard - received) / 1000)
                }
            }
            func summary(_ values: [Double]) -> String {
                let sorted = values.sorted()
                return String(format: "median %.1f ms, min %.1f, max %.1f over %d clicks",
                              sorted[sorted.count / 2], sorted.first!, sorted.last!, sorted.count)
            }
            guard !endToEnd.isEmpty else { throw VoiceError("no click went through (mouth \(mouth.pulses.count), ear \(ears.count))") }
            print("  click mouth → ear (encode, send, RTP, jitterbuffer \(jitter) ms, decode, mix, clock sync): \(summary(endToEnd))")
            if receiving.count * 2 >= endToEnd.count {
                print("  of which the sender (mouth → RTP in): \(summary(sending))")
                print("  added latency RTP in → audio out (goal ≤ 60 ms): \(summary(receiving))")
            } else {
                print("  added latency RTP in → audio out: not measured (only \(receiving.count) click packets told apart at > \(rtpThreshold) bytes; set BENCH_RTP_BYTES)")
            }

            await me.close()
            await host.close()
            return ()
        }
    }

    /// CPU and RSS of our side only: the simulator and its media members run in a child `partybus sim --media`
    /// process; this process holds our client, event log and voice graph (a tone as the mic, playback clocked
    /// into a fakesink).
    func measureUsage(folder: URL, seconds: Int) async throws {
        let members = (1...4).map { n in
            SimulatedAccount(accountId: "700000000000000000\(n)", onlineId: "bench-member-\(n)", npsso: "")
        }
        var simulatorConfig = SimulatorConfiguration(accounts: [BuiltinSimulator.me] + members)
        simulatorConfig.clientSecret = "sim-client-secret"
        let configFile = folder.appendingPathComponent("sim.json")
        let encoded = try JSONEncoder().encode(["sim": simulatorConfig])
        try encoded.write(to: configFile)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        child.arguments = ["sim", "--config", configFile.path, "--data-dir", folder.appendingPathComponent("sim").path,
                           "--media", folder.appendingPathComponent("recordings").path, "--log-level", "error"]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        defer { child.terminate(); child.waitUntilExit() }
        var text = ""
        while !text.contains("listening on "), child.isRunning {
            text += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.contains("listening on ") }) else {
            throw VoiceError("the child simulator did not start")
        }
        let baseURL = String(line.split(separator: " ").last!)
        let tone = folder.appendingPathComponent("tone.yaml")
        try Self.graph(wave: "sine", encoder: "bitrate: 40000, frame-size: 40, inband-fec: true, audio-type: voice")
            .write(to: tone, atomically: true, encoding: .utf8)
        let me = try await VoiceBenchClient(
            baseURL: baseURL, configuration: simulatorConfig, account: BuiltinSimulator.me, graph: tone, variables: [:],
            folder: folder.appendingPathComponent("usage-me"))
        let sessionId = try await me.client.parties.create(name: "usage")
        try await me.client.parties.invite(sessionId, accountIds: members.map(\.accountId))
        let admin = CurlHTTPClient()
        func join(_ member: SimulatedAccount) async throws {
            let body = try JSONSerialization.data(withJSONObject: ["actor": member.onlineId, "action": "join", "args": ["sessionId": sessionId]])
            _ = try await admin.send(HTTPRequest(
                method: .POST, url: "\(baseURL)/sim/admin/act", headers: [("Content-Type", "application/json")], body: body))
            _ = try await me.wait(for: "voice.first_audio", containing: member.accountId)
        }
        try await join(members[0])
        let one = try await Self.usage(seconds: seconds)
        print(String(format: "  our side with 1 remote member: CPU %.1f %% of one core, RSS %.0f MB (peak over %d s; goal ≤ 2 %% per member, ≤ 80 MB)",
                     one.cpu, one.rssMB, seconds))
        for member in members.dropFirst() { try await join(member) }
        let four = try await Self.usage(seconds: seconds)
        print(String(format: "  our side with 4 remote members: CPU %.1f %% of one core (%.1f %% per member on average), RSS %.0f MB (peak over %d s)",
                     four.cpu, four.cpu / 4, four.rssMB, seconds))
        print(String(format: "  each member beyond the first adds %.1f %% of one core (the rest is fixed: our mic's Opus encoder, the mixer, the log)",
                     (four.cpu - one.cpu) / 3))
        await me.close()
    }
}
