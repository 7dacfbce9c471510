import ArgumentParser
import Foundation
import PSN
import PSNSimulator
import PartyBusCore
import PartyBusDaemon
import PartyVoice
import Voice

/// `partybus bench voice`: our side's CPU and RSS in a party of 1, 4 … 15 remote members, every member heard
/// (`VoicePartyBench`); then join → first remote audio against the in-process simulator, and the added latency from
/// RTP arriving to audio leaving the mix, timed with clicks.
struct VoiceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice",
        abstract: "Voice: CPU and RSS with 1, 4 … 15 remote members (every one heard), join → first audio, RTP-in → audio-out latency.")

    @Option(name: .long, help: "Joins to time.") var joins = 5
    @Option(name: .long, help: "Clicks to time.") var clicks = 20
    @Option(name: .long, help: "Remote members for the CPU/RSS table: N (measured at 1, 4 and N) or a list such as 1,4,15; at most 15.")
    var members = "15"
    @Option(name: .long, help: "Seconds per CPU/RSS window.") var seconds = 30.0
    @Option(name: .long, help: "webrtcbin jitterbuffer latency in ms on the receiving side (the shipped graphs use 40).") var jitterbuffer = 40
    @Option(name: .long, help: "A graph file for the CPU/RSS table instead of the built-in one (the shipped party graph with a tone as the mic); it needs the nodes and taps that one has (mic tap, per-peer receive chain with a tap).")
    var graph: String?
    @Flag(name: .long, help: "Skip the CPU/RSS table.") var noUsage = false
    @Flag(name: .long, help: "Skip the join and click latency measurements.") var noLatency = false

    func validate() throws {
        do { _ = try VoicePartyBench.steps(members) } catch { throw ValidationError("\(error)") }
        guard seconds.isFinite, seconds > 0 else { throw ValidationError("--seconds must be a positive number") }
    }

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
          receive: rtpopusdepay name=depay ! opusdec ! audio/x-raw,channels=2 ! audioconvert ! audioresample ! volume name=level ! mix
          tap: level
        taps: { party-mix: mix, mic: send }
        """
    }

    func run() async throws {
        #if DEBUG
        printError("warning: this is a debug build; run `swift run -c release partybus bench voice`")
        #endif
        Logging.bootstrapOnce(level: .error)
        print("PartyBus voice benchmark")
        // First, while this process holds nothing else: CPU and RSS of our side alone, every member heard.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("partybus-bench-voice-usage-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if !noUsage { try await measureUsage(folder: folder) }
        if !noLatency { try await runAll() }
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

    /// CPU and RSS of our side only, with every member heard: the simulator and its media members run in a child
    /// `partybus sim --media` process (members talk only to us); this process holds our client, event log and voice
    /// graph. Fails (after printing the table) when a member was not heard.
    func measureUsage(folder: URL) async throws {
        let steps = try VoicePartyBench.steps(members)
        print("  our side's CPU (every thread, % of one core) and peak RSS over \(String(format: "%g", seconds)) s per row, "
              + "members each sending their own tone (heard: own tone ≥ 10× every other member's and \(Int(VoicePartyBench.unusedTone)) Hz; "
              + "margin: the weakest member's; csw/s: our threads' voluntary context switches per second, i.e. hand-overs between threads; "
              + "sim %: the child simulator and its members; load: the machine's 1-min load average; "
              + "ref ms: CPU time of a fixed workload just before the window, `bench reference` — a slower host, not a costlier build, raises it):")
        print(VoicePartyBench.header)
        var graphText = VoicePartyBench.graph
        if let graph {
            // Checked as `partybus up` checks a graph, so a wrong file fails here, saying where, not as unheard members.
            do { _ = try GraphFile.load(graph, variables: [:]) } catch {
                throw VoiceError("--graph: '\(graph)' is not a usable graph: \(error)")
            }
            graphText = try String(contentsOfFile: graph, encoding: .utf8)
        }
        let rows = try await VoicePartyBench(steps: steps, seconds: seconds, folder: folder, graph: graphText).run()
        if let first = rows.first, let last = rows.last, last.members > first.members {
            print(String(format: "  each member beyond the first adds %.2f %% of one core (goal ≤ 1 %%); the first costs %.1f %% in all; RSS with %d: %.0f MB (goal ≤ 120 MB)",
                         (last.cpu - first.cpu) / Double(last.members - first.members), first.cpu, last.members, last.rssMB))
            if let before = first.referenceMilliseconds, let after = last.referenceMilliseconds {
                print(String(format: "  the host's reference workload took %.0f ms before the first window and %.0f ms before the last "
                             + "(compare with other runs: CPU figures move with it)", before, after))
            }
        }
        let unheard = rows.filter { $0.heard < $0.members }
        guard unheard.isEmpty else {
            throw VoiceError("not every member was heard (\(unheard.map { "\($0.heard)/\($0.members)" }.joined(separator: ", ")))")
        }
        print("  every member heard at every step")
    }
}
