import ArgumentParser
import Foundation
import PartyBusCore
import Synchronization
import Voice

/// `partybus bench obs`: how long a sound in the party mix takes to come out of an SRT viewer (ffmpeg, what OBS's
/// Media Source runs), timed with clicks: one probe where the click leaves the mixer, one where ffmpeg's decoded
/// audio reaches us through a pipe, both on the monotonic clock.
struct OBSBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "obs", abstract: "OBS: party mix → SRT viewer latency (MPEG-TS/Opus, as obs.yaml sends it), with clicks.")

    @Option(name: .long, help: "Clicks to time (one a second).") var clicks = 20
    @Option(name: .long, help: "SRT latency in ms, on both ends (obs.yaml's obs.srt.latency).") var latency = 80
    @Option(name: .long, help: "Loopback port of the SRT listener.") var port = 9799
    @Option(name: .long, help: "The SRT viewer (ffmpeg).") var ffmpeg = "/usr/bin/ffmpeg"
    @Option(name: .long, help: "Codec in the MPEG-TS: opus (obs.yaml's: opusenc, 10 ms frames) or aac (voaacenc).") var codec = "opus"

    /// The obs.yaml route with clicks as the only party member: mixer → Opus (or AAC) → MPEG-TS → SRT listener. The clicks
    /// are watched where they leave the mixer (`out`, S16).
    func graph() -> String {
        """
        graph: bench-obs
        nodes:
          clicks: { element: audiotestsrc, props: { wave: ticks, is-live: true, volume: 0.8, samplesperbuffer: 480 } }
          mix:    { element: audiomixer }
          out:    { element: identity }
          enc:    \(codec == "opus" ? "{ element: opusenc, props: { bitrate: 128000, frame-size: 10 } }" : "{ element: voaacenc, props: { bitrate: 128000 } }")
          ts:     { element: mpegtsmux, props: { alignment: 7 } }
          srt:    { element: srtsink, props: { mode: listener, localaddress: 127.0.0.1, localport: \(port), latency: \(latency), wait-for-connection: false, sync: false } }
        links:
          - clicks ! audioconvert ! audio/x-raw,format=S16LE,rate=48000,channels=1 ! mix
          - mix ! audio/x-raw,format=S16LE,rate=48000,channels=2 ! out ! audioconvert ! enc ! \(codec == "opus" ? "opusparse" : "aacparse") ! ts ! srt
        taps: { party-mix: mix }
        """
    }

    func run() async throws {
        #if DEBUG
        printError("warning: this is a debug build; run `swift run -c release partybus bench obs`")
        #endif
        Logging.bootstrapOnce(level: .error)
        guard ["aac", "opus"].contains(codec) else { throw ValidationError("--codec is aac or opus, not '\(codec)'") }
        print("PartyBus OBS benchmark: party mix → SRT viewer (ffmpeg), MPEG-TS/\(codec), SRT latency \(latency) ms, \(clicks) clicks")
        let (spec, problems) = try GraphParser(variables: [:]).parse(text: graph(), file: "bench-obs.yaml")
        let all = problems + GraphValidator(file: "bench-obs.yaml").validate(spec)
        guard all.isEmpty else { throw ValidationError(all.map(\.description).joined(separator: "\n")) }
        let voice = try VoiceGraph(spec: spec)
        let mixed = try voice.watchPulses(element: "out", pad: "src", kind: .amplitude(8000))
        try await voice.start()
        defer { Task { await voice.stop() } }
        try await Task.sleep(for: .milliseconds(300))

        let viewer = ClickViewer()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        // Low-delay input flags, as a latency-minded OBS Media Source setup uses (docs/obs.md).
        process.arguments = [
            "-hide_banner", "-loglevel", "error", "-nostdin", "-fflags", "nobuffer", "-flags", "low_delay",
            "-probesize", "32", "-analyzeduration", "0", "-i", "srt://127.0.0.1:\(port)?latency=\(latency * 1000)",
            "-f", "s16le", "-ac", "1", "-ar", "48000", "-flush_packets", "1", "pipe:1",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let reader = pipe.fileHandleForReading
        Thread.detachNewThread { viewer.read(reader) }

        let deadline = ContinuousClock.now + .seconds(clicks + 5)
        while ContinuousClock.now < deadline, viewer.pulses.count < clicks + 2 {
            try await Task.sleep(for: .milliseconds(200))
        }
        process.terminate()
        let sent = mixed.pulses, heard = viewer.pulses
        // Each click the viewer heard, matched to the latest click that left the mixer before it (within 1 s); the
        // first is skipped (the viewer's start-up).
        var delays: [Double] = []
        for time in heard.dropFirst() {
            guard let source = sent.last(where: { $0 <= time && time - $0 < 1_000_000 }) else { continue }
            delays.append(Double(time - source) / 1000)
        }
        guard !delays.isEmpty else {
            throw ValidationError("no click reached the viewer (mixer clicks: \(sent.count), viewer clicks: \(heard.count))")
        }
        delays.sort()
        func percentile(_ p: Double) -> Double { delays[min(delays.count - 1, Int(Double(delays.count - 1) * p))] }
        print(String(format: "mix → SRT viewer: median %.1f ms, p90 %.1f ms, min %.1f ms, max %.1f ms (%d clicks; goal ≤ 150 ms)",
                     percentile(0.5), percentile(0.9), delays.first!, delays.last!, delays.count))
    }
}

/// Reads ffmpeg's S16 mono output and times each click (a sample beyond ±8000, at least 300 ms after the last) on
/// the monotonic clock `PulseWatch` uses.
final class ClickViewer: Sendable {
    private let times = Mutex<[Int64]>([])
    var pulses: [Int64] { times.withLock { $0 } }

    func read(_ handle: FileHandle) {
        var last: Int64 = 0
        var carry: UInt8?
        while true {
            let data = handle.availableData
            if data.isEmpty { return }
            let now = PulseWatch.now()
            var bytes = [UInt8](data)
            if let byte = carry { bytes.insert(byte, at: 0); carry = nil }
            if bytes.count % 2 == 1 { carry = bytes.removeLast() }
            var hit = false
            var index = 0
            while index + 1 < bytes.count {
                let sample = Int16(bitPattern: UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8)
                if abs(Int(sample)) > 8000 { hit = true; break }
                index += 2
            }
            if hit, now - last > 300_000 {
                last = now
                times.withLock { $0.append(now) }
            }
        }
    }
}
