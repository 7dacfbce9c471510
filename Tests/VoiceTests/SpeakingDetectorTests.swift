import CGStreamer
import Foundation
import PartyBusTestSupport
import Synchronization
import Testing
import Voice

/// The speaking detector that runs on the streaming thread (speaking_shim.h): readings of the loudest channel's RMS
/// over 100 ms of audio, hysteresis and rate limit as the speaking indicator always had, only changes leaving the
/// streaming thread. Fed synthetic buffers here, and run in a live graph.
@Suite("Speaking detection on the streaming thread", .serialized)
struct SpeakingDetectorTests {
    static let rate = 48_000
    /// Default thresholds: start above -40 dB for 2 readings, stop below -50 dB for 5, changes at least 3 apart.
    static let settings = SpeakingThresholds()

    /// Mono S16 sine samples of `seconds` whose RMS is `db` dB (full scale 0 dB; a sine's RMS is its amplitude / √2).
    static func sine(db: Double, seconds: Double, hz: Double = 300, rate: Int = rate) -> [Int16] {
        let amplitude = pow(10, db / 20) * 2.0.squareRoot()
        return (0..<Int(seconds * Double(rate))).map { i in
            Int16(clamping: Int((amplitude * sin(2 * .pi * hz * Double(i) / Double(rate)) * 32767).rounded()))
        }
    }

    /// Feeds `readings` (one dB value per 100 ms) as 40 ms buffers (so readings straddle buffers) and returns, for
    /// each change, the 1-based reading that made it and the new state.
    static func changes(feeding readings: [Double]) -> [(reading: Int, speaking: Bool)] {
        let detector = pb_speaking_new(settings.settingsForTests)!
        defer { pb_speaking_free(detector) }
        #expect(pb_speaking_set_format(detector, Int32(PB_SPEAKING_S16), 1, Int32(rate)) == 1)
        let samples = readings.flatMap { sine(db: $0, seconds: 0.1) }
        var out: [(Int, Bool)] = []
        var speaking = false
        let buffer = rate / 25
        for start in stride(from: 0, to: samples.count, by: buffer) {
            let chunk = Array(samples[start..<min(start + buffer, samples.count)])
            chunk.withUnsafeBytes { raw in
                _ = pb_speaking_feed(detector, raw.bindMemory(to: UInt8.self).baseAddress, UInt(raw.count), nil, nil)
            }
            let now = detector.pointee.speaking == 1
            if now != speaking {
                out.append((Int(detector.pointee.readings), now))
                speaking = now
            }
        }
        #expect(Int(detector.pointee.readings) == readings.count, "one reading per 100 ms of audio")
        return out
    }

    @Test("speaking starts after two loud readings in a row and stops after five quiet ones; between the thresholds nothing changes")
    func hysteresis() {
        let loud = -20.0, quiet = -60.0, between = -45.0
        let readings = [quiet, quiet, quiet, loud, quiet]  // 1–5: one loud reading is not enough
            + [loud, loud]                                  // 6–7: starts at 7
            + [quiet, quiet, quiet, quiet]                  // 8–11: four quiet readings do not stop it
            + [between, between, between]                   // 12–14: between the thresholds: no change, the count restarts
            + [quiet, quiet, quiet, quiet, quiet]           // 15–19: stops at 19
            + [between, loud, loud, loud]                   // 20–23
        let changes = Self.changes(feeding: readings)
        #expect(changes.map(\.reading) == [7, 19, 22], "\(changes)")
        #expect(changes.map(\.speaking) == [true, false, true])
    }

    @Test("no two changes come closer than three readings")
    func rateLimit() {
        let loud = -20.0, quiet = -60.0
        // Starts at reading 2; five quiet readings stop it at 7; loud again at 8, 9: the change waits for the gap
        // (reading 10 is 3 after 7).
        let readings = [loud, loud, quiet, quiet, quiet, quiet, quiet, loud, loud, loud, loud]
        let changes = Self.changes(feeding: readings)
        #expect(changes.map(\.reading) == [2, 7, 10], "\(changes)")
        // With a wider gap the restart waits longer.
        var wide = Self.settings
        wide.minimumGap = 4
        let detector = pb_speaking_new(wide.settingsForTests)!
        defer { pb_speaking_free(detector) }
        var starts: [Int] = []
        for (index, db) in readings.enumerated() where pb_speaking_reading(detector, db) == 1 {
            starts.append(index + 1)
        }
        #expect(starts == [2, 7, 11], "\(starts)")
    }

    @Test("a reading is the loudest channel's RMS in dB, in every format the detector reads")
    func readingsInEveryFormat() {
        let frames = Self.rate / 10
        // Channel 0 quiet (-60 dB), channel 1 a full-scale sine (RMS -3.01 dB): the reading is channel 1's.
        func value(_ channel: Int, _ i: Int) -> Double {
            let amplitude = channel == 0 ? pow(10, -60.0 / 20) * 2.0.squareRoot() : 0.999
            return amplitude * sin(2 * .pi * 440 * Double(i) / Double(Self.rate))
        }
        func reading(format: Int32, bytes: [UInt8]) -> Double {
            let detector = pb_speaking_new(Self.settings.settingsForTests)!
            defer { pb_speaking_free(detector) }
            #expect(pb_speaking_set_format(detector, format, 2, Int32(Self.rate)) == 1)
            bytes.withUnsafeBufferPointer { _ = pb_speaking_feed(detector, $0.baseAddress, UInt($0.count), nil, nil) }
            #expect(detector.pointee.readings == 1)
            return detector.pointee.last_db
        }
        var s16: [UInt8] = [], s32: [UInt8] = [], f32: [UInt8] = [], f64: [UInt8] = []
        for i in 0..<frames {
            for channel in 0..<2 {
                let v = value(channel, i)
                withUnsafeBytes(of: Int16((v * 32767).rounded()).littleEndian) { s16 += $0 }
                withUnsafeBytes(of: Int32((v * 2_147_483_647).rounded()).littleEndian) { s32 += $0 }
                withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { f32 += $0 }
                withUnsafeBytes(of: v.bitPattern.littleEndian) { f64 += $0 }
            }
        }
        let expected = 20 * log10(0.999 / 2.0.squareRoot())
        for (name, format, bytes) in [
            ("S16", PB_SPEAKING_S16, s16), ("S32", PB_SPEAKING_S32, s32), ("F32", PB_SPEAKING_F32, f32), ("F64", PB_SPEAKING_F64, f64),
        ] {
            let db = reading(format: Int32(format), bytes: bytes)
            #expect(abs(db - expected) < 0.05, "\(name): \(db) dB, expected \(expected)")
        }
        // Digital silence reads -200 dB (a finite number an event can carry), not -infinity.
        let detector = pb_speaking_new(Self.settings.settingsForTests)!
        defer { pb_speaking_free(detector) }
        _ = pb_speaking_set_format(detector, Int32(PB_SPEAKING_S16), 1, Int32(Self.rate))
        let silence = [UInt8](repeating: 0, count: frames * 2)
        silence.withUnsafeBufferPointer { _ = pb_speaking_feed(detector, $0.baseAddress, UInt($0.count), nil, nil) }
        #expect(detector.pointee.last_db == -200)
    }

    @Test("audio it cannot read gives no readings (and no crash), whatever the bytes")
    func unreadableFormats() {
        pb_gst_init()
        for caps in ["audio/x-raw,format=U8,rate=48000,channels=1", "audio/x-raw,format=S16LE,rate=48000,channels=12",
                     "audio/x-raw,format=S16LE,rate=48000,channels=2,layout=non-interleaved", "video/x-raw,format=I420",
                     "audio/x-raw,format=S16LE,channels=1"] {
            let parsed = gst_caps_from_string(caps)
            defer { if let parsed { gst_caps_unref(parsed) } }
            var channels: Int32 = 0, rate: Int32 = 0
            let format = pb_speaking_format_of_caps(parsed, &channels, &rate)
            let detector = pb_speaking_new(Self.settings.settingsForTests)!
            defer { pb_speaking_free(detector) }
            #expect(pb_speaking_set_format(detector, format, channels, rate) == 0, "\(caps) is not readable")
            let noise = (0..<9601).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
            noise.withUnsafeBufferPointer { #expect(pb_speaking_feed(detector, $0.baseAddress, UInt($0.count), nil, nil) == 0) }
            #expect(detector.pointee.readings == 0)
        }
    }

    @Test("in a live graph the micmeter reports speaking when the tone plays and silence when it is muted — changes only, no readings")
    func liveGraph() async throws {
        let text = """
            graph: speaking
            nodes:
              tone: { element: audiotestsrc, props: { is-live: true, freq: 300, volume: 0.3, samplesperbuffer: 1920 } }
              out:  { element: fakesink, props: { sync: true } }
            links:
              - tone ! audio/x-raw,rate=48000,channels=1 ! volume name=mute ! level name=micmeter interval=100000000 ! out
            """
        let (spec, problems) = try GraphParser(variables: [:]).parse(text: text, file: "speaking.yaml")
        #expect(problems.isEmpty, "\(problems)")
        let graph = try VoiceGraph(spec: spec)
        try await graph.start()
        let seen = SeenEvents()
        let reader = Task {
            for await event in graph.events { seen.withLock { $0.append(event) } }
        }
        func changes() -> [(String, Bool, Double)] {
            seen.withLock { events in events.compactMap { if case .speaking(let e, let s, let db) = $0 { (e, s, db) } else { nil } } }
        }
        #expect(try await eventually(timeout: .seconds(10)) { changes().count == 1 }, "speaking started: \(seen.withLock { $0 })")
        try graph.set(element: "mute", property: "mute", to: "true")
        #expect(try await eventually(timeout: .seconds(10)) { changes().count == 2 }, "speaking stopped: \(seen.withLock { $0 })")
        // A muted tone stays silent: nothing more comes (the next change would need the tone back).
        try await Task.sleep(for: .milliseconds(600))
        await graph.stop()
        _ = await reader.value
        let all = changes()
        #expect(all.map(\.0) == ["micmeter", "micmeter"])
        #expect(all.map(\.1) == [true, false])
        // 0.3 × full scale: RMS ≈ -13.5 dB when it starts; muted reads digital silence.
        #expect(abs(all[0].2 - 20 * log10(0.3 / 2.0.squareRoot())) < 1, "\(all[0].2)")
        #expect(all[1].2 == -200)
        let levels = seen.withLock { $0.filter { if case .level = $0 { true } else { false } } }
        #expect(levels.isEmpty, "the level element no longer posts its readings: \(levels.count)")
    }
}

/// Events a reader task collected.
final class SeenEvents: Sendable {
    private let events = Mutex<[VoiceGraphEvent]>([])
    func withLock<T>(_ body: (inout [VoiceGraphEvent]) -> T) -> T { events.withLock { body(&$0) } }
}

extension SpeakingThresholds {
    /// The C settings (internal to Voice; rebuilt here from the public fields).
    var settingsForTests: pb_speaking_settings {
        pb_speaking_settings(
            start_db: startDb, stop_db: stopDb, start_count: Int32(startCount), stop_count: Int32(stopCount), min_gap: Int32(minimumGap),
            interval_ns: UInt(readingMilliseconds) * 1_000_000)
    }
}
