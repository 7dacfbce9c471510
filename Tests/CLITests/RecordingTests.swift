import AutoRecord
import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// AutoRecord as a user runs it: `partybus sim --media` (members with tones) in one process, `partybus up` with voice
/// and the `auto-record` plugin in another, `partybus recordings …` in others. Tracks are decoded with GStreamer's
/// own reader (gst-launch-1.0) and checked by frequency.
@Suite("Recordings", .serialized)
struct RecordingTests {
    static let secret = ["PARTYBUS_PSN__CLIENT_SECRET": "sim-client-secret"]
    /// Members and their tones (the simulator's default tones in account order: us 440 (unused), then 550, 770, 880).
    static let members = [("2000000000000000002", "sim-alice", 550.0), ("3000000000000000003", "sim-bob", 770.0),
                          ("4000000000000000004", "sim-carol", 880.0)]
    static let ourTone = 660.0

    /// The simulator with four accounts (us and three members), media on.
    func simulator(_ dir: TemporaryDirectory) async throws -> SimulatorProcess {
        let config = dir.path("sim.yaml")
        var yaml = "sim:\n  accounts:\n"
        yaml += "    - { accountId: \"1000000000000000001\", onlineId: partybus-you, npsso: sim-npsso-you-\(String(repeating: "0", count: 50)) }\n"
        for (id, name, _) in Self.members {
            yaml += "    - { accountId: \"\(id)\", onlineId: \(name), npsso: sim-npsso-\(name)-\(String(repeating: "0", count: 40)), platform: PS5 }\n"
        }
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        return try await SimulatorProcess.start(media: dir.path("sim-media"), config: config)
    }

    /// `up` with voice (tone mic, mix to a file) and `auto-record` with `options` (YAML flow mapping).
    func daemon(_ simulator: SimulatorProcess, _ dir: TemporaryDirectory, options: String, data: String = "data", port: Int? = nil)
        async throws -> (common: [String], daemon: RunningPartybus)
    {
        let config = try simulator.config(in: dir, extra: """
            voice:
              enabled: true
              autoStart: true
              bridge: false
              graph: \(PartybusProcess.packageRoot.appendingPathComponent("pipelines/headless-test.yaml").path)
              localAddresses: ["127.0.0.1"]
              test:
                output: \(dir.path("mix-\(data).wav"))
            plugins:
              recorder:
                builtin: auto-record
                options: \(options)
            """)
        let dataPath = dir.path(data)
        try loginToSimulator(config: config, data: dataPath)
        let common = ["--config", config, "--data-dir", dataPath]
        return (common, try await start(common, port: port))
    }

    func start(_ common: [String], port: Int? = nil) async throws -> RunningPartybus {
        var environment = Self.secret
        if let port { environment["PARTYBUS_API__LISTEN"] = "127.0.0.1:\(port)" }
        let daemon = try RunningPartybus(["up"] + common, environment: environment)
        let socket = URL(fileURLWithPath: common[3]).appendingPathComponent("control.sock").path
        _ = await eventually(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: socket) || !daemon.process.isRunning }
        let ready = await eventually(timeout: .seconds(10)) {
            (try? PartybusProcess.run(["status"] + common, environment: Self.secret)).map { $0.status == 0 && $0.stdout.contains("\"mode\" : \"daemon\"") } ?? false
        }
        #expect(ready, "up did not come up: \(daemon.stderr.text)")
        return daemon
    }

    func cli(_ arguments: [String], _ common: [String]) throws -> PartybusProcess.Result {
        try PartybusProcess.run(arguments + common, environment: Self.secret)
    }

    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    func recordings(_ common: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let listed = try cli(["recordings", "list"], common)
        #expect(listed.status == 0, "recordings list: \(listed.status) \(listed.stdout) \(listed.stderr)", sourceLocation: sourceLocation)
        return (json(listed.stdout)["recordings"] as? [[String: Any]]) ?? []
    }

    /// Creates a party, invites the members and has `joining` of them join.
    func party(_ simulator: SimulatorProcess, _ common: [String], joining: [String]) async throws -> String {
        let created = try cli(["parties", "create", "--name", "Raid night"], common)
        let sessionId = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UUID(uuidString: sessionId) != nil, "\(created.stdout) \(created.stderr)")
        #expect(try cli(["parties", "invite", sessionId] + Self.members.map(\.0), common).status == 0)
        for name in joining { try await simulator.act(name, "join", ["sessionId": sessionId]) }
        return sessionId
    }

    @Test("three members with distinct tones: one Ogg Opus track each holding its own tone, the mic, the mix with all three, starts aligned; announced; exports decode")
    func threeSpeakers() async throws {
        let dir = try TemporaryDirectory()
        let simulator = try await simulator(dir)
        let port = Int.random(in: 20_000...40_000)
        let (common, daemon) = try await daemon(simulator, dir, options: "{ trigger: { minMembers: 2 } }", port: port)
        let sessionId = try await party(simulator, common, joining: Self.members.map(\.1))

        let started = await eventually(timeout: .seconds(30)) { daemon.stdout.text.contains("record.started") }
        #expect(started, "\(daemon.stdout.text)\n\(daemon.stderr.text)")
        let speakers = await eventually(timeout: .seconds(40)) {
            daemon.stdout.text.components(separatedBy: "record.track_added").count - 1 >= 5
        }
        #expect(speakers, "three speakers, the mic and the mix: \(daemon.stdout.text)")
        // Let the tones play a while (every member's tone must have reached us).
        try await Task.sleep(for: .seconds(5))

        // Announced: status, the API's list, the metric.
        let status = json(try cli(["status"], common).stdout)
        #expect((status["recordings"] as? [[String: Any]])?.first?["sessionId"] as? String == sessionId, "\(status)")
        let listed = try recordings(common)
        #expect(listed.count == 1 && listed.first?["state"] as? String == "recording", "\(listed)")
        let (metricsBody, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        let metrics = String(decoding: metricsBody, as: UTF8.self)
        #expect(metrics.contains("partybus_recordings_active 1"), "\(metrics)")

        let left = try cli(["parties", "leave", sessionId], common)
        #expect(left.status == 0, "\(left.stderr)")
        #expect(await eventually(timeout: .seconds(20)) { daemon.stdout.text.contains("record.saved") }, "\(daemon.stdout.text)")
        let id = try #require(try recordings(common).first?["id"] as? String)
        let shown = json(try cli(["recordings", "show", id], common).stdout)
        // Leaving stops voice first, so the recording ends with voice.
        #expect(shown["state"] as? String == "saved" && (shown["reason"] as? String ?? "").hasPrefix("voice stopped"), "\(shown)")
        let folder = try #require(shown["folder"] as? String)
        let tracks = try #require(shown["tracks"] as? [[String: Any]])
        let duration = try #require(shown["durationSeconds"] as? Double)
        #expect(duration > 5, "\(shown)")

        // Folder 0700, files 0600.
        #expect(try FileManager.default.attributesOfItem(atPath: folder)[.posixPermissions] as? Int == 0o700)
        for track in tracks {
            let path = folder + "/" + (track["file"] as? String ?? "")
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600, "\(path)")
        }

        let mixPath = folder + "/mix.wav"
        let mix = try AudioAnalysis.mono(mixPath)
        for (accountId, name, tone) in Self.members {
            let track = try #require(tracks.first { $0["accountId"] as? String == accountId }, "\(name)'s track: \(tracks)")
            let file = folder + "/" + (track["file"] as? String ?? "")
            #expect(file.hasSuffix(".opus"))
            let wav = try Decode.wav(file)
            // Its own tone against every other member's (and ours) over the loudest second.
            let own = try AudioAnalysis.strongest(wav, tone)
            for (_, other, otherTone) in Self.members where other != name {
                let leak = try AudioAnalysis.strongest(wav, otherTone)
                #expect(own > 20 * leak, "\(name)'s track: own \(tone) Hz \(own) vs \(other)'s \(otherTone) Hz \(leak)")
            }
            #expect(own > 20 * (try AudioAnalysis.strongest(wav, Self.ourTone)), "\(name)'s track holds our tone")
            // Aligned: the tone starts at the same moment in the speaker's track and in the independently tapped mix.
            let (samples, rate) = try AudioAnalysis.mono(wav)
            let inTrack = Onset.find(tone, samples, rate), inMix = Onset.find(tone, mix.samples, mix.rate)
            #expect(inTrack != nil && inMix != nil, "\(name): onset in track \(String(describing: inTrack)), in mix \(String(describing: inMix))")
            if let inTrack, let inMix { #expect(abs(inTrack - inMix) <= 0.05, "\(name): starts \(inTrack) s in its track, \(inMix) s in the mix") }
            // The file covers the recording (all tracks start at its start).
            let trackSeconds = try AudioAnalysis.duration(wav)
            #expect(trackSeconds > duration - 1.5, "\(name)'s track is \(trackSeconds) s of \(duration)")
        }
        for (_, name, tone) in Self.members {
            #expect(try AudioAnalysis.strongest(mixPath, tone) > 1e-4, "the mix holds \(name)'s \(tone) Hz")
        }
        let micTrack = try #require(tracks.first { $0["kind"] as? String == "mic" })
        let mic = try Decode.wav(folder + "/" + (micTrack["file"] as? String ?? ""))
        #expect(try AudioAnalysis.strongest(mic, Self.ourTone) > 20 * (try AudioAnalysis.strongest(mic, 550)), "our mic holds our tone")

        // Exports through the API, decoded by GStreamer with the recording's duration.
        for format in ["wav", "flac", "mp3", "opus", "mix", "zip"] {
            let output = dir.path("export-\(format)")
            let exported = try cli(["recordings", "export", id, "--format", format, "--output", output], common)
            #expect(exported.status == 0, "\(format): \(exported.stdout) \(exported.stderr)")
            if format == "zip" {
                let zip = [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
                let entries = stride(from: 0, to: zip.count - 3, by: 1).filter { zip[$0] == 0x50 && zip[$0 + 1] == 0x4B && zip[$0 + 2] == 1 && zip[$0 + 3] == 2 }
                #expect(entries.count == tracks.count, "zip entries \(entries.count) for \(tracks.count) tracks")
                continue
            }
            let seconds = try AudioAnalysis.duration(try Decode.wav(output, any: true))
            #expect(abs(seconds - duration) < 1.0, "\(format): \(seconds) s for a \(duration) s recording")
            if format == "wav" {
                for (_, name, tone) in Self.members { #expect(try AudioAnalysis.strongest(output, tone) > 1e-4, "mixed export holds \(name)") }
            }
        }
        // An output the CLI cannot create is a clear error, not a silent nothing.
        let nowhere = dir.path("no-such-folder/export.wav")
        let refused = try cli(["recordings", "export", id, "--format", "wav", "--output", nowhere], common)
        #expect(refused.status != 0 && refused.stderr.contains("cannot create \(nowhere)"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: nowhere))
        let stopped = await daemon.stop()
        #expect(stopped == 0, "up ended with \(String(describing: stopped)): \(daemon.stderr.text.suffix(4000))")
        _ = await simulator.running.stop()
    }

    @Test("SIGKILL while recording: every file decodes to within 2 s of the kill; the next start closes and reports it")
    func killMidRecording() async throws {
        let dir = try TemporaryDirectory()
        let simulator = try await simulator(dir)
        let (common, daemon) = try await daemon(simulator, dir, options: "{}")
        _ = try await party(simulator, common, joining: ["sim-alice", "sim-bob"])
        #expect(await eventually(timeout: .seconds(40)) {
            daemon.stdout.text.components(separatedBy: "record.track_added").count - 1 >= 4
        }, "\(daemon.stdout.text)")
        try await Task.sleep(for: .seconds(4))
        let listed = try recordings(common)
        let folder = try #require(listed.first?["folder"] as? String)
        let startedAt = try #require(ISO8601DateFormatter().date(from: listed.first?["startedAt"] as? String ?? ""))
        kill(daemon.pid, SIGKILL)
        let killedAt = Date()
        daemon.process.waitUntilExit()
        let expected = killedAt.timeIntervalSince(startedAt)
        let manifest = try RecordingManifest.read(in: URL(fileURLWithPath: folder))
        #expect(manifest.state == .recording)
        #expect(manifest.tracks.count >= 4, "\(manifest.tracks)")
        for track in manifest.tracks {
            let path = folder + "/" + track.file
            let seconds = try AudioAnalysis.duration(try Decode.wav(path, any: true))
            #expect(seconds > expected - 2, "\(track.file) decodes \(seconds) s, killed \(expected) s in")
        }

        // The next start closes it and reports it.
        let again = try await start(common)
        #expect(await eventually(timeout: .seconds(20)) { again.stdout.text.contains("record.saved") }, "\(again.stdout.text)")
        let recovered = try RecordingManifest.read(in: URL(fileURLWithPath: folder))
        #expect(recovered.state == .saved && recovered.recovered == true && recovered.reason == "crash", "\(recovered)")
        for track in recovered.tracks {
            let path = folder + "/" + track.file
            if path.hasSuffix(".opus") {
                let pages = OggPage.scan([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
                #expect(pages.last.map { $0.flags & OggPage.endOfStream != 0 } == true, "\(track.file) ends its stream")
            }
            #expect(try AudioAnalysis.duration(try Decode.wav(path, any: true)) > expected - 2)
        }
        #expect(await again.stop() == 0)
        _ = await simulator.running.stop()
    }

    @Test("triggers, record.allow, the duration limit and retention")
    func triggersLimitsRetention() async throws {
        let dir = try TemporaryDirectory()
        let simulator = try await simulator(dir)
        let options = """
            { trigger: { minMembers: 3, partyName: "Raid*" }, allow: [partybus-you, sim-alice, sim-bob], limits: { maxDurationSeconds: 3 }, retention: { days: 0.00002 }, mix: false }
            """
        let (common, daemon) = try await daemon(simulator, dir, options: options)
        let sessionId = try await party(simulator, common, joining: ["sim-alice"])
        #expect(await eventually(timeout: .seconds(20)) { daemon.stdout.text.contains("voice.started") })
        try await Task.sleep(for: .seconds(2))
        #expect(!daemon.stdout.text.contains("record.started"), "two members are under minMembers 3")
        try await simulator.act("sim-carol", "join", ["sessionId": sessionId])
        #expect(await eventually(timeout: .seconds(20)) { daemon.stdout.text.contains("record.refused") }, "\(daemon.stdout.text)")
        #expect(!daemon.stdout.text.contains("record.started"), "sim-carol is not on record.allow")
        try await simulator.act("sim-carol", "leave", ["sessionId": sessionId])
        try await simulator.act("sim-bob", "join", ["sessionId": sessionId])
        #expect(await eventually(timeout: .seconds(20)) { daemon.stdout.text.contains("record.started") }, "\(daemon.stdout.text)")
        #expect(await eventually(timeout: .seconds(20)) { daemon.stdout.text.contains("record.saved") }, "\(daemon.stdout.text)")
        let first = try #require(try recordings(common).first, "\(daemon.stdout.text.split(separator: "\n").filter { $0.contains("record.") })")
        #expect(first["reason"] as? String == "limit: duration", "\(first)")
        let seconds = first["durationSeconds"] as? Double ?? 0
        #expect(seconds >= 2.5 && seconds < 4.5, "a 3 s limit: \(seconds) s: \(first)")

        // A second recording (voice restarted): once it is saved, retention removes the first.
        #expect(try cli(["voice", "stop"], common).status == 0)
        #expect(try cli(["voice", "start", sessionId], common).status == 0)
        #expect(await eventually(timeout: .seconds(30)) { daemon.stdout.text.contains("record.removed") }, "\(daemon.stdout.text)")
        let left = try recordings(common)
        #expect(left.count == 1 && left.first?["id"] as? String != first["id"] as? String,
                "\(left) \(daemon.stdout.text.split(separator: "\n").filter { $0.contains("record.") })")
        let stopped = await daemon.stop()
        #expect(stopped == 0, "up ended with \(String(describing: stopped)): \(daemon.stderr.text.suffix(4000))")
        _ = await simulator.running.stop()
    }
}

/// Decoding with GStreamer's own tools (an independent reader of what we wrote).
enum Decode {
    /// Decodes `path` (Ogg Opus, or `any` format through decodebin) to a 48 kHz mono WAV beside it; returns its path.
    static func wav(_ path: String, any: Bool = false) throws -> String {
        let output = path + ".decoded.wav"
        let decoder = any ? ["decodebin"] : ["oggdemux", "!", "opusdec"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gst-launch-1.0")
        process.arguments = ["-q", "filesrc", "location=\(path)", "!"] + decoder + ["!", "audioconvert", "!", "audioresample", "!",
            "audio/x-raw,format=S16LE,rate=48000,channels=1", "!", "wavenc", "!", "filesink", "location=\(output)"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else { throw DecodeError(message: "\(path) does not decode: \(message)") }
        return output
    }

    struct DecodeError: Error, CustomStringConvertible { var message: String; var description: String { message } }
}

/// Where a tone starts: the first 10 ms window whose power at the frequency reaches a quarter of the loudest window's.
enum Onset {
    static func find(_ frequency: Double, _ samples: [Double], _ rate: Int) -> Double? {
        let window = rate / 100
        guard samples.count > window else { return nil }
        let powers = stride(from: 0, to: samples.count - window, by: window).map {
            AudioAnalysis.power(of: frequency, in: samples[$0..<$0 + window], rate: rate)
        }
        guard let loudest = powers.max(), loudest > 1e-5 else { return nil }
        return powers.firstIndex { $0 >= loudest / 4 }.map { Double($0 * window) / Double(rate) }
    }
}
