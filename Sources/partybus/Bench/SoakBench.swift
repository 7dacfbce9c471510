import ArgumentParser
import Foundation
import Logging
import PSN
import PSNSimulator
import PartyBusDaemon
import Voice

/// `partybus bench soak`: the daemon (`partybus up` in a child process, voice on, `auto-record` recording) in a party
/// against `partybus sim --media` (members with tones in another child), members leaving and joining all the time.
/// In each sample (a minute by default) every member leaves, one after another (the party is then only us, so the
/// recording ends), and comes back (a new recording starts); the last quarter of the sample is steady with everyone
/// in, and then it prints the daemon's resident memory, open file descriptors, threads and the events appended since
/// the last sample — like for like at every sample. At the end a verdict: flat after warm-up, or what grew.
struct SoakBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Run a party with members coming and going, voice and recording on; print the daemon's RSS, FDs and threads every minute.")

    @Option(help: "Samples to take (minutes, at the default sample length).") var minutes = 30
    @Option(help: "Seconds per sample (60: one per minute; shorter for a quick check).") var secondsPerSample = 60.0
    @Option(help: "Remote members who come and go (1…8).") var members = 3
    @Option(help: "Samples of warm-up left out of the verdict (default: 2, or 1 for runs under 6 samples).") var warmUp: Int?

    func validate() throws {
        guard minutes >= 1 else { throw ValidationError("--minutes must be at least 1") }
        guard secondsPerSample >= 1 else { throw ValidationError("--seconds-per-sample must be at least 1") }
        guard (1...8).contains(members) else { throw ValidationError("--members must be 1…8") }
        if let warmUp, warmUp < 0 || warmUp >= minutes { throw ValidationError("--warm-up must be 0…\(minutes - 1)") }
    }

    func run() async throws {
        Logging.bootstrapOnce(level: .error)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("partybus-bench-soak-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let remote = (1...members).map { n in
            SimulatedAccount(accountId: String(format: "80000000000000000%02d", n), onlineId: "soak-member-\(n)", npsso: "")
        }
        var configuration = SimulatorConfiguration(accounts: remote + [BuiltinSimulator.me])
        configuration.clientSecret = "sim-client-secret"
        let simulator = try await ChildSimulator(
            configuration: configuration, tones: VoicePartyBench.tones(count: members), folder: folder)
        defer { simulator.stop() }
        let daemon = try await SoakDaemon(simulatorURL: simulator.baseURL, npsso: BuiltinSimulator.me.npsso, folder: folder)
        defer { daemon.stop() }
        let sessionId = try await daemon.createParty(name: "soak")
        var churn = SoakChurn(simulatorURL: simulator.baseURL, sessionId: sessionId, members: remote.map(\.onlineId))
        try await churn.everyoneJoins()

        let interval = churn.interval(secondsPerSample)
        print("PartyBus soak: partybus up (voice, auto-record) in a party of \(members + 1) against partybus sim --media; "
            + "each sample every member leaves and comes back (a step every \(SoakChurn.format(interval)) s); \(minutes) samples of "
            + "\(SoakChurn.format(secondsPerSample)) s")
        print("sample    minute   rss_mb  anon_mb  heap_mb  free_mb  sqlite_mb  arenas   fds  threads  events  members  peers  recording")
        var samples: [SoakSample] = []
        var lastHead = try await daemon.metric("partybus_log_head") ?? 0
        let start = ContinuousClock.now
        for index in 1...minutes {
            let begin = start + .seconds(secondsPerSample * Double(index - 1))
            for step in 1...churn.stepsPerSample {
                try await Task.sleep(until: begin + .seconds(interval * Double(step)))
                try await churn.step()
            }
            try await Task.sleep(until: begin + .seconds(secondsPerSample))
            guard daemon.isRunning, let footprint = ProcessFootprint.of(pid: daemon.pid) else {
                throw ValidationError("partybus up exited during the soak: \(SoakDaemon.tail(folder.appendingPathComponent("up.err")))")
            }
            let head = try await daemon.metric("partybus_log_head") ?? lastHead
            let peers = try await daemon.metric("partybus_voice_peers_connected") ?? 0
            let recording = try await daemon.metric("partybus_recordings_active") ?? 0
            let heapInUse = try await daemon.metric("partybus_heap_in_use_bytes").map { $0 / 1_048_576 }
            let heapFree = try await daemon.metric("partybus_heap_free_bytes").map { $0 / 1_048_576 }
            let arenas = try await daemon.metric("partybus_heap_arenas") ?? -1
            let sqlite = try await daemon.metric("partybus_sqlite_memory_bytes").map { $0 / 1_048_576 } ?? -1
            let sample = SoakSample(
                minute: (ContinuousClock.now - start).seconds / 60, footprint: footprint, heapInUseMB: heapInUse,
                heapFreeMB: heapFree)
            samples.append(sample)
            print(String(format: "%3d/%-3d %8.2f %8.2f %8.2f %8.2f %8.2f %10.2f %7d %5d %8d %7d %8d %6d %10d", index, minutes,
                         sample.minute, footprint.rssMB, footprint.anonymousMB, heapInUse ?? -1, heapFree ?? -1,
                         sqlite, Int(arenas), footprint.fileDescriptors, footprint.threads,
                         Int(head - lastHead), churn.present + 1, Int(peers), Int(recording)))
            lastHead = head
        }
        print(SoakVerdict(samples: samples, warmUp: warmUp ?? (minutes < 6 ? 1 : 2)).line)
    }
}

/// Members of the soak party leaving and joining (the simulator's admin `act`): the steps of one round make every
/// member leave in turn, then come back in turn, so a round ends with everyone in again.
struct SoakChurn {
    let simulatorURL: String
    let sessionId: String
    let members: [String]
    private var inParty: Set<String> = []
    private var next = 0
    private let http = CurlHTTPClient()

    init(simulatorURL: String, sessionId: String, members: [String]) {
        self.simulatorURL = simulatorURL
        self.sessionId = sessionId
        self.members = members
    }

    /// Remote members now in the party.
    var present: Int { inParty.count }

    /// Steps in one round (each member leaves and comes back).
    var stepsPerSample: Int { 2 * members.count }

    /// Seconds between steps: a round takes the first three quarters of a sample.
    func interval(_ secondsPerSample: Double) -> Double { secondsPerSample * 0.75 / Double(stepsPerSample + 1) }

    mutating func everyoneJoins() async throws {
        for member in members where !inParty.contains(member) { try await act(member, "join") }
    }

    /// The next member (in order, round after round) leaves if in the party, joins if not.
    mutating func step() async throws {
        let member = members[next % members.count]
        next += 1
        try await act(member, inParty.contains(member) ? "leave" : "join")
    }

    private mutating func act(_ member: String, _ action: String) async throws {
        var args: [String: Any] = ["sessionId": sessionId]
        if action == "join" { args["ignoreAccessControl"] = true }
        let body = try JSONSerialization.data(withJSONObject: ["actor": member, "action": action, "args": args])
        let response = try await http.send(HTTPRequest(
            method: .POST, url: "\(simulatorURL)/sim/admin/act", headers: [("Content-Type", "application/json")], body: body))
        guard response.status / 100 == 2 else {
            throw ValidationError("\(member) \(action): the simulator answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        if action == "join" { inParty.insert(member) } else { inParty.remove(member) }
    }

    static func format(_ seconds: Double) -> String { String(format: seconds == seconds.rounded() ? "%.0f" : "%.1f", seconds) }
}
