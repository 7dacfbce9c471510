import Foundation
import PSN
import PSNSimulator
import PartyBusCore
import PartyBusDaemon
import PartyVoice
import Voice

/// `bench voice`'s party part: a party of ours with up to N remote members (the simulator's media members in a
/// child process, each sending its own tone and talking only to us), grown step by step (1, 4, N …). At each step
/// every member must be heard — a short capture of each peer's decoded audio carries that member's tone, ten times
/// stronger than any other member's tone and a frequency nobody sends — then our process's CPU (every thread) and
/// resident memory are measured over a steady window.
struct VoicePartyBench {
    /// Party sizes (remote members) to measure, ascending.
    var steps: [Int]
    /// Seconds per CPU/RSS window.
    var seconds: Double
    /// Scratch folder.
    var folder: URL
    /// Our graph's YAML (`graph` below unless `--graph` names another).
    var graph: String = Self.graph

    /// One measured step.
    struct Row {
        var members: Int
        var cpu: Double
        var rssMB: Double
        var switchesPerSecond: Double
        var childCPU: Double?
        var load: Double
        /// CPU milliseconds of the fixed reference workload just before the window (`bench reference`), nil if it failed.
        var referenceMilliseconds: Double?
        var verdicts: [ToneCheck.Verdict]
        var heard: Int { verdicts.filter(\.heard).count }
    }

    /// A frequency no member sends (none of the tones, their doubles or triples).
    static let unusedTone = 1270.0

    /// The members' tones: 310, 370, 430 … Hz (60 Hz apart; no tone is another's double or triple within 10 Hz).
    static func tones(count: Int) -> [Double] { (0..<count).map { 310 + 60 * Double($0) } }

    /// Steps for `--members`: a list as given (sorted, 1…15), or for a single N the sizes 1, 4 and N (up to N).
    static func steps(_ text: String) throws -> [Int] {
        let numbers = try text.split(separator: ",").map { item -> Int in
            guard let n = Int(item.trimmingCharacters(in: .whitespaces)), (1...15).contains(n) else {
                throw VoiceError("--members: '\(item)' is not a number of remote members from 1 to 15 (a party has at most 16)")
            }
            return n
        }
        guard let largest = numbers.max() else { throw VoiceError("--members: say how many remote members, e.g. 15 or 1,4,15") }
        let steps = numbers.count == 1 ? [1, 4, largest].filter { $0 <= largest } : numbers
        return Array(Set(steps)).sorted()
    }

    /// Our graph for the windows: the shipped graph (pipelines/party-voice.yaml: its encoder settings, mic meter,
    /// per-peer receive chain and mixer) with a live tone as the mic and a clock-synchronised fakesink as the speakers.
    static let graph = """
        graph: bench-party
        nodes:
          mic:  { element: audiotestsrc, props: { wave: sine, freq: 1000, is-live: true, volume: 0.3, samplesperbuffer: 960 } }
          enc:  { element: opusenc, props: { bitrate: 40000, frame-size: 40, inband-fec: true, audio-type: voice } }
          pay:  { element: rtpopuspay, props: { pt: 111 } }
          send: { element: tee, props: { allow-not-linked: true } }
          mix:  { element: audiomixer }
          out:  { element: fakesink, props: { sync: true } }
        links:
          - mic ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! volume name=mute ! level name=micmeter interval=100000000 ! enc ! pay ! send
          - mix ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! out
        peer:
          webrtc: { bundle-policy: max-bundle, latency: 40 }
          receive: rtpopusdepay ! opusdec ! audio/x-raw,channels=2 ! audioconvert ! audioresample ! volume name=level ! mix
          tap: level
        taps: { party-mix: mix, mic: send }
        """

    /// Runs every step and returns the rows (printing each as it comes).
    func run() async throws -> [Row] {
        let count = steps.last ?? 1
        let members = (1...count).map { n in
            SimulatedAccount(accountId: String(format: "70000000000000000%02d", n), onlineId: "bench-member-\(n)", npsso: "")
        }
        let tones = Self.tones(count: count)
        // Members first, so the tones (given in account order) are theirs; our account has no media.
        var configuration = SimulatorConfiguration(accounts: members + [BuiltinSimulator.me])
        configuration.clientSecret = "sim-client-secret"
        let child = try await ChildSimulator(configuration: configuration, tones: tones, folder: folder)
        defer { child.stop() }
        let graphFile = folder.appendingPathComponent("party.yaml")
        try graph.write(to: graphFile, atomically: true, encoding: .utf8)
        let me = try await VoiceBenchClient(
            baseURL: child.baseURL, configuration: configuration, account: BuiltinSimulator.me, graph: graphFile, variables: [:],
            folder: folder.appendingPathComponent("me"))
        let check = ToneCheck(
            tones: Dictionary(uniqueKeysWithValues: zip(members.map(\.accountId), tones)), unused: Self.unusedTone)
        let sessionId = try await me.client.parties.create(name: "bench party")
        try await me.client.parties.invite(sessionId, accountIds: members.map(\.accountId))
        let admin = CurlHTTPClient()
        var rows: [Row] = []
        var joined = 0
        for step in steps {
            for member in members[joined..<step] {
                let body = try JSONSerialization.data(withJSONObject: [
                    "actor": member.onlineId, "action": "join", "args": ["sessionId": sessionId],
                ])
                _ = try await admin.send(HTTPRequest(
                    method: .POST, url: "\(child.baseURL)/sim/admin/act", headers: [("Content-Type", "application/json")], body: body))
                _ = try await me.wait(for: "voice.first_audio", containing: member.accountId, timeout: .seconds(30))
            }
            joined = step
            // Let the new peers settle (jitterbuffers filled, the mixer's inputs aligned) before listening.
            try await Task.sleep(for: .seconds(1))
            let verdicts = try await hear(members: Array(members[0..<step]), me: me, check: check)
            try await Task.sleep(for: .milliseconds(500))
            // How fast the host is right now, in a child process before the window (its CPU and memory are not ours).
            let reference = await HostReference.runInChild()
            let load = ProcessUsage.loadAverage()
            let usage = try await ProcessUsage.measure(seconds: seconds, child: child)
            let row = Row(
                members: step, cpu: usage.cpu, rssMB: usage.rssMB, switchesPerSecond: usage.switchesPerSecond, childCPU: usage.childCPU,
                load: load, referenceMilliseconds: reference, verdicts: verdicts)
            rows.append(row)
            Self.print(row)
        }
        await me.close()
        return rows
    }

    /// Captures one second of each member's decoded audio (the end of its receive branch) and checks its tone.
    private func hear(members: [SimulatedAccount], me: VoiceBenchClient, check: ToneCheck) async throws -> [ToneCheck.Verdict] {
        guard let graph = await me.voice.graph else { throw VoiceError("voice is not running") }
        var captures: [(String, SampleCapture?)] = []
        for member in members {
            guard let meter = graph.meterElement(of: member.accountId) else {
                captures.append((member.accountId, nil))
                continue
            }
            captures.append((member.accountId, try? graph.captureSamples(element: meter, seconds: 1)))
        }
        var verdicts: [ToneCheck.Verdict] = []
        for (peer, capture) in captures {
            guard let capture, await capture.wait(timeout: .seconds(10)) else {
                verdicts.append(ToneCheck.Verdict(peer: peer, own: 0, strongestOther: (0, 0), heard: false))
                continue
            }
            verdicts.append(check.verdict(peer: peer, samples: capture.samples, rate: capture.rate))
        }
        return verdicts
    }

    private static func print(_ row: Row) {
        func column(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(width - text.count, 0)) + text }
        let worst = row.verdicts.min { $0.margin < $1.margin }
        let margin = worst.map { $0.margin.isFinite ? String(format: "%.0f×", $0.margin) : "∞" } ?? "-"
        let child = row.childCPU.map { String(format: "%.1f", $0) } ?? "?"
        Swift.print("  " + [
            column("\(row.members)", 7), column(String(format: "%.1f", row.cpu), 12), column(String(format: "%.0f", row.rssMB), 6),
            column(String(format: "%.0f", row.switchesPerSecond), 7),
            column("\(row.heard)/\(row.members)", 5), column(margin, 7), column(child, 5), column(String(format: "%.1f", row.load), 4),
            column(row.referenceMilliseconds.map { String(format: "%.0f", $0) } ?? "?", 6),
        ].joined(separator: " | "))
        let everyVerdict = ProcessInfo.processInfo.environment["BENCH_DEBUG"] != nil
        for verdict in row.verdicts where !verdict.heard || everyVerdict {
            Swift.print("    \(verdict.heard ? "heard" : "NOT HEARD"): member \(verdict.peer) (own tone power \(String(format: "%.2e", verdict.own)), strongest other "
                        + "\(Int(verdict.strongestOther.hz)) Hz at \(String(format: "%.2e", verdict.strongestOther.power)))")
        }
    }

    /// The table's header.
    static let header = "  members | CPU % 1 core | RSS MB | csw/s   | heard |  margin | sim % | load | ref ms"
}
