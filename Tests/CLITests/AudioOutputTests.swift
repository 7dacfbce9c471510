import Foundation
import PartyBusTestSupport
import Testing

/// Where the party's audio goes on a server, driven as a user does it: `partybus up` as its own process against
/// the built-in simulator (its scene: sim-alice sends 550 Hz, sim-bob 770 Hz, each through a real webrtcbin peer),
/// the graph chosen with `PARTYBUS_VOICE__GRAPH`, and what comes out read back by frequency. 660 Hz is nobody's
/// tone (it was the old headless graph's), so every tone check is also a ratio against it.
@Suite("Audio outputs", .serialized)
struct AudioOutputTests {
    static let alice = "2000000000000000002", bob = "3000000000000000003"
    static let aliceTone = 550.0, bobTone = 770.0, unused = 660.0

    /// This machine has somewhere to play audio (then the fallback under test cannot happen).
    static var hasSound: Bool {
        let runtime = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"] ?? "/run/user/\(getuid())"
        return FileManager.default.fileExists(atPath: "/dev/snd")
            || FileManager.default.fileExists(atPath: runtime + "/pulse/native")
            || ProcessInfo.processInfo.environment["PULSE_SERVER"] != nil
    }

    /// `up` on the built-in simulator with `graph`, `--json` events on stdout.
    func up(_ dir: TemporaryDirectory, graph: String?, _ environment: [String: String] = [:]) throws -> RunningPartybus {
        var env = environment
        if let graph { env["PARTYBUS_VOICE__GRAPH"] = PartybusProcess.packageRoot.appendingPathComponent(graph).path }
        return try RunningPartybus(["up", "--json", "--data-dir", dir.path("data"), "--config", "/dev/null"], environment: env)
    }

    /// The payloads of `type` events `up` printed so far.
    func events(_ daemon: RunningPartybus, _ type: String) -> [[String: Any]] {
        daemon.stdout.text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["type"] as? String == type
            else { return nil }
            return object["payload"] as? [String: Any]
        }
    }

    /// Waits until both members' audio reached our mix.
    func bothMembersHeard(_ daemon: RunningPartybus) async -> Bool {
        await eventually(timeout: .seconds(40)) {
            let heard = Set(events(daemon, "voice.first_audio").compactMap { $0["peer"] as? String })
            return heard.isSuperset(of: [Self.alice, Self.bob]) || !daemon.process.isRunning
        }
    }

    /// Checks that a recording holds `tone` clearly (above 1, and 50× what is at the unused frequency and at
    /// each of `absent`).
    func expectTone(_ path: String, _ tone: Double, absent: [Double] = [], _ what: String) throws {
        let heard = try AudioAnalysis.strongest(path, tone)
        let noise = try AudioAnalysis.strongest(path, Self.unused)
        #expect(heard > 1 && heard > 50 * noise, "\(what): \(tone) Hz \(heard) vs unused \(Self.unused) Hz \(noise)")
        for other in absent {
            let leak = try AudioAnalysis.strongest(path, other)
            #expect(heard > 50 * leak, "\(what): \(tone) Hz \(heard) vs \(other) Hz \(leak), which should not be there")
        }
    }

    @Test("the default graph on a machine without sound: up says so with voice.degraded and a warning")
    func defaultGraphDegrades() async throws {
        try #require(!Self.hasSound, "this machine has a sound server or card; the fallback cannot be seen here")
        let dir = try TemporaryDirectory()
        let daemon = try up(dir, graph: nil)
        let degraded = await eventually(timeout: .seconds(40)) {
            events(daemon, "voice.degraded").contains { $0["node"] as? String == "out" } || !daemon.process.isRunning
        }
        #expect(degraded, "no voice.degraded for the speakers: \(daemon.stdout.text.suffix(3000)) \(daemon.stderr.text.suffix(2000))")
        let out = try #require(events(daemon, "voice.degraded").first { $0["node"] as? String == "out" })
        #expect(out["element"] as? String == "autoaudiosink")
        #expect(out["fallback"] as? String == "fakesink", "\(out)")
        #expect((out["reason"] as? String ?? "").contains("no audio output"), "\(out)")
        #expect(daemon.stderr.text.contains("voice: out (autoaudiosink)"), "no warning in the log: \(daemon.stderr.text.suffix(2000))")
        // Voice itself still works: the members are heard, and a missing device is not a voice.error.
        #expect(await bothMembersHeard(daemon), "\(daemon.stdout.text.suffix(3000))")
        #expect(events(daemon, "voice.error").isEmpty, "\(events(daemon, "voice.error"))")
        #expect(await daemon.stop() == 0)
    }

    @Test("headless.yaml: the mix and one file per member hold the members' tones; the members hear silence")
    func headlessGraph() async throws {
        let dir = try TemporaryDirectory()
        let files = dir.path("files")
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        let daemon = try up(dir, graph: "pipelines/headless.yaml", ["PARTYBUS_VOICE__HEADLESS__DIR": files])
        #expect(await bothMembersHeard(daemon), "\(daemon.stdout.text.suffix(3000)) \(daemon.stderr.text.suffix(2000))")
        try await Task.sleep(for: .seconds(6))
        #expect(await daemon.stop() == 0, "\(daemon.stderr.text.suffix(2000))")
        #expect(events(daemon, "voice.degraded").isEmpty, "the headless graph needs no device: \(events(daemon, "voice.degraded"))")

        // Named by when voice started and when each member joined (UTC), so a later call never overwrites them.
        let written = try FileManager.default.contentsOfDirectory(atPath: files).sorted()
        func one(_ prefix: String) throws -> String {
            let matching = written.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".wav") }
            #expect(matching.count == 1, "\(prefix)*.wav in \(written)")
            return files + "/" + (try #require(matching.first))
        }
        let mix = try one("mix-"), aliceFile = try one("member-\(Self.alice)-"), bobFile = try one("member-\(Self.bob)-")
        #expect(try AudioAnalysis.duration(mix) > 5, "the mix file is too short")
        try expectTone(mix, Self.aliceTone, "mix: sim-alice")
        try expectTone(mix, Self.bobTone, "mix: sim-bob")
        // Each member's file was ended before their peer was torn down: its header has the real sizes.
        for file in [aliceFile, bobFile] {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            let riff = data.count >= 8 ? Int(data[4]) | Int(data[5]) << 8 | Int(data[6]) << 16 | Int(data[7]) << 24 : -1
            #expect(riff == data.count - 8, "\(file): RIFF size \(riff), file \(data.count) bytes (header not finished)")
        }
        try expectTone(aliceFile, Self.aliceTone, absent: [Self.bobTone], "sim-alice's own file")
        try expectTone(bobFile, Self.bobTone, absent: [Self.aliceTone], "sim-bob's own file")

        // What we sent: the rtcBridge uplink carries our mic alone and the simulator's bridge peer records it.
        // Seconds of audio, all of it silence (no tone pretending to be a microphone).
        let recordings = dir.path("data/sim/recordings")
        let uplinks = try FileManager.default.contentsOfDirectory(atPath: recordings).filter { $0.hasPrefix("bridge-") }
        #expect(uplinks.count == 1, "\(uplinks)")
        for name in uplinks {
            let (samples, rate) = try AudioAnalysis.mono(recordings + "/" + name)
            #expect(Double(samples.count) / Double(max(rate, 1)) > 3, "\(name): too short to tell")
            let power = samples.reduce(0) { $0 + $1 * $1 } / Double(max(samples.count, 1))
            #expect(power < 1e-7, "\(name): what we sent is not silence (mean power \(power))")
        }
    }

    // MARK: OBS

    /// `ffmpeg -i input … -t seconds` to a mono 48 kHz WAV, as a separate process (what OBS's Media Source runs).
    static func ffmpeg(_ input: [String], seconds: Int, to output: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"] + input
            + ["-t", String(seconds), "-ac", "1", "-ar", "48000", output]
        process.standardOutput = FileHandle.nullDevice
        FileManager.default.createFile(atPath: output + ".log", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: output + ".log")
        try process.run()
        return process
    }

    /// Waits for `processes` to end (at most `timeout`, then they are killed); true when all exited with 0.
    static func finished(_ processes: [Process], timeout: Duration) async -> Bool {
        let done = await eventually(timeout: timeout) { !processes.contains { $0.isRunning } }
        if !done { processes.filter(\.isRunning).forEach { kill($0.processIdentifier, SIGKILL) } }
        processes.forEach { $0.waitUntilExit() }
        return done && processes.allSatisfy { $0.terminationStatus == 0 }
    }

    /// What the ffmpeg clients said.
    static func logs(_ dir: TemporaryDirectory, _ names: [String]) -> String {
        names.map { "\($0): " + ((try? String(contentsOfFile: dir.path($0) + ".log", encoding: .utf8)) ?? "") }.joined(separator: "\n")
    }

    static func freePort() -> Int { Int.random(in: 20_000...40_000) }

    @Test("obs.yaml with no sound server: the local sink degrades; two SRT viewers and the .sdp's RTP each get both members")
    func obsGraph() async throws {
        try #require(FileManager.default.fileExists(atPath: "/usr/bin/ffmpeg"), "ffmpeg is missing (scripts/install-deps.sh installs it)")
        let dir = try TemporaryDirectory()
        let srtPort = Self.freePort(), rtpPort = Self.freePort() & ~1
        let sdp = dir.path("obs.sdp")
        let daemon = try up(dir, graph: "pipelines/obs.yaml", [
            "PARTYBUS_VOICE__OBS__SRT__PORT": String(srtPort), "PARTYBUS_VOICE__OBS__PORT": String(rtpPort),
            "PARTYBUS_VOICE__OBS__SDP": sdp,
            // No PulseAudio here: the optional local sink must degrade, not take the graph down.
            "PARTYBUS_VOICE__OBS__LOCAL": "pulsesink",
        ])
        #expect(await bothMembersHeard(daemon), "\(daemon.stdout.text.suffix(3000)) \(daemon.stderr.text.suffix(2000))")
        if !Self.hasSound {
            let local = events(daemon, "voice.degraded").first { $0["node"] as? String == "local" }
            #expect(local?["element"] as? String == "pulsesink" && local?["fallback"] as? String == "fakesink", "\(events(daemon, "voice.degraded"))")
        }
        let text = try String(contentsOfFile: sdp, encoding: .utf8)
        #expect(text.contains("m=audio \(rtpPort) RTP/AVP 96") && text.contains("a=rtpmap:96 opus/48000/2"), "\(text)")

        // Two viewers on the SRT listener and one player of the .sdp, all at once, 10 s each.
        let srt = ["-i", "srt://127.0.0.1:\(srtPort)?latency=80000"]
        // srtsink listens with a backlog of one: callers in the very same instant are refused but one (docs/obs.md),
        // so the second viewer comes a second later, while the first is playing.
        let first = try Self.ffmpeg(srt, seconds: 10, to: dir.path("srt-1.wav"))
        let rtp = try Self.ffmpeg(["-protocol_whitelist", "file,udp,rtp", "-i", sdp], seconds: 10, to: dir.path("rtp.wav"))
        try await Task.sleep(for: .seconds(1))
        let clients = try [first, rtp, Self.ffmpeg(srt, seconds: 10, to: dir.path("srt-2.wav"))]
        #expect(await Self.finished(clients, timeout: .seconds(30)), "an ffmpeg client failed: \(Self.logs(dir, ["srt-1.wav", "srt-2.wav", "rtp.wav"]))")
        #expect(await daemon.stop() == 0, "\(daemon.stderr.text.suffix(2000))")
        #expect(events(daemon, "voice.error").isEmpty, "\(events(daemon, "voice.error"))")
        for name in ["srt-1.wav", "srt-2.wav", "rtp.wav"] {
            #expect(try AudioAnalysis.duration(dir.path(name)) > 8, "\(name) is too short")
            try expectTone(dir.path(name), Self.aliceTone, name)
            try expectTone(dir.path(name), Self.bobTone, name)
        }
    }

    static let passphrase = "partybus-test-passphrase"

    @Test("obs-per-speaker.yaml: each member's own (encrypted) SRT stream holds only that member's tone")
    func perSpeakerGraph() async throws {
        try #require(FileManager.default.fileExists(atPath: "/usr/bin/ffmpeg"), "ffmpeg is missing (scripts/install-deps.sh installs it)")
        let dir = try TemporaryDirectory()
        let base = Self.freePort()
        let daemon = try up(dir, graph: "pipelines/obs-per-speaker.yaml", [
            "PARTYBUS_VOICE__OBS__SRT__PORT": String(Self.freePort()), "PARTYBUS_VOICE__OBS__SPEAKERS__PORT": String(base),
            // Encrypted, as it must be beyond loopback: the viewers need the passphrase.
            "PARTYBUS_VOICE__OBS__SRT__PASSPHRASE": Self.passphrase,
        ])
        #expect(await bothMembersHeard(daemon), "\(daemon.stdout.text.suffix(3000)) \(daemon.stderr.text.suffix(2000))")
        // Which member is on which port: `partybus voice status` (the daemon's control API) lists each peer's slot.
        let status = try PartybusProcess.run(["voice", "status", "--data-dir", dir.path("data"), "--config", "/dev/null"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], "\(status.stdout) \(status.stderr)")
        let peers = (object["peers"] as? [[String: Any]]) ?? []
        func slot(_ peer: String) -> Int? { (peers.first { $0["peer"] as? String == peer }?["outputSlot"] as? NSNumber)?.intValue }
        let aliceSlot = try #require(slot(Self.alice), "\(status.stdout)"), bobSlot = try #require(slot(Self.bob), "\(status.stdout)")
        #expect(aliceSlot != bobSlot)

        let clients = try [
            Self.ffmpeg(["-i", "srt://127.0.0.1:\(base + aliceSlot)?latency=80000&passphrase=\(Self.passphrase)"], seconds: 8, to: dir.path("alice.wav")),
            Self.ffmpeg(["-i", "srt://127.0.0.1:\(base + bobSlot)?latency=80000&passphrase=\(Self.passphrase)"], seconds: 8, to: dir.path("bob.wav")),
        ]
        #expect(await Self.finished(clients, timeout: .seconds(30)), "an ffmpeg client failed: \(Self.logs(dir, ["alice.wav", "bob.wav"]))")
        // Without the passphrase a viewer gets nothing.
        let intruder = try Self.ffmpeg(["-i", "srt://127.0.0.1:\(base + aliceSlot)?latency=80000"], seconds: 2, to: dir.path("intruder.wav"))
        #expect(await Self.finished([intruder], timeout: .seconds(15)) == false, "a viewer without the passphrase got in")
        #expect(((try? AudioAnalysis.duration(dir.path("intruder.wav"))) ?? 0) == 0)
        #expect(await daemon.stop() == 0, "\(daemon.stderr.text.suffix(2000))")
        #expect(!daemon.stdout.text.contains(Self.passphrase) && !daemon.stderr.text.contains(Self.passphrase), "the passphrase leaked into up's output")
        try expectTone(dir.path("alice.wav"), Self.aliceTone, absent: [Self.bobTone], "sim-alice's stream")
        try expectTone(dir.path("bob.wav"), Self.bobTone, absent: [Self.aliceTone], "sim-bob's stream")
    }

    @Test("an SRT listener beyond loopback without a passphrase is refused by pipelines check, with where and why")
    func srtNeedsPassphrase() throws {
        let graph = PartybusProcess.packageRoot.appendingPathComponent("pipelines/obs.yaml").path
        let open = try PartybusProcess.run(["pipelines", "check", graph], environment: ["PARTYBUS_VOICE__OBS__SRT__ADDRESS": "0.0.0.0"])
        #expect(open.status != 0, "\(open.stdout) \(open.stderr)")
        #expect((open.stdout + open.stderr).contains("obs.yaml:"), "no file:line:col: \(open.stdout) \(open.stderr)")
        #expect((open.stdout + open.stderr).contains("needs a passphrase"), "\(open.stdout) \(open.stderr)")
        let secret = "correct-horse-battery"
        let closed = try PartybusProcess.run(["pipelines", "check", graph], environment: [
            "PARTYBUS_VOICE__OBS__SRT__ADDRESS": "0.0.0.0", "PARTYBUS_VOICE__OBS__SRT__PASSPHRASE": secret,
        ])
        #expect(closed.status == 0, "\(closed.stdout) \(closed.stderr)")
        #expect(!(closed.stdout + closed.stderr).contains(secret), "the passphrase was printed")
        let loopback = try PartybusProcess.run(["pipelines", "check", graph])
        #expect(loopback.status == 0, "\(loopback.stdout) \(loopback.stderr)")
    }
}
