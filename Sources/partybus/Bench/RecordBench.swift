import ArgumentParser
import AutoRecord
import Foundation
import Logging
import PartyBusCore
import Voice

#if canImport(Glibc)
import Glibc
#endif

/// `partybus bench record`: the CPU (% of one core) that recording adds per speaker. The real `auto-record` plugin
/// records from a real `VoiceTapHub` into real files; each speaker's tap gets a 100-byte Opus packet every 20 ms
/// (40 kbit/s, more packets than the shipped 40 ms graphs send), stamped on the monotonic clock, as the graphs'
/// probes deliver them. Each window is measured twice, with the plugin recording and with it idle (the hub then
/// drops buffers at once), so the difference is recording's own cost: tap delivery, the actor hop, Ogg pages,
/// writes. Not included: GStreamer's probe callback itself (a map and a copy per packet).
struct RecordBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record", abstract: "CPU % of one core that recording adds per speaker (Ogg Opus, no re-encoding).")

    @Option(help: "Seconds per measurement window.") var seconds = 10.0
    @Option(help: "Speaker counts to measure.") var speakers: [Int] = [1, 8]

    func run() async throws {
        var rows: [(speakers: Int, idle: Double, recording: Double)] = []
        for count in speakers {
            let idle = try await measure(speakers: count, record: false)
            let recording = try await measure(speakers: count, record: true)
            rows.append((count, idle, recording))
            print(String(format: "%2d speakers: idle %.3f %%, recording %.3f %% of a core → recording adds %.3f %% (%.4f %% per speaker)",
                         count, idle, recording, recording - idle, (recording - idle) / Double(count)))
        }
        if rows.count >= 2, let first = rows.first, let last = rows.last, last.speakers > first.speakers {
            let marginal = ((last.recording - last.idle) - (first.recording - first.idle)) / Double(last.speakers - first.speakers)
            print(String(format: "each speaker beyond %d adds %.4f %% of a core (goal ≤ 0.2 %%)", first.speakers, marginal))
        }
    }

    /// CPU % of one core over one window of `speakers` packet streams (plus our mic), recording or not.
    func measure(speakers: Int, record: Bool) async throws -> Double {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("partybus-bench-record-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let hub = VoiceTapHub(logger: Logger(label: "bench"))
        let context = try BenchContext(folder: folder, taps: hub)
        let plugin = try await AutoRecordPlugin(context: context, options: PluginOptions(.object(["mix": .bool(false)])))
        let session = "00000000-0000-0000-0000-00000000be0c"
        let members = (0..<speakers).map { "\(5_000_000_000_000_000_000 as UInt64 + UInt64($0))" }
        if record {
            let snapshot: JSONValue = .object(["party": .object([
                "sessionId": .string(session), "sessionName": .string("bench"),
                "members": .array(members.map { .object(["accountId": .string($0)]) }),
            ])])
            try await plugin.handle(Self.event(1, "party.snapshot", snapshot))
            try await plugin.handle(Self.event(2, "voice.started", .object(["sessionId": .string(session)])))
        }
        let packet: [UInt8] = [0xF8] + (1..<100).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let start = ContinuousClock.now, startCPU = Self.cpuSeconds()
        var tick = 0
        while ContinuousClock.now - start < .seconds(seconds) {
            let now = VoiceTapBuffer.monotonicNow()
            for member in members {
                hub.deliver(VoiceTapBuffer(tap: .peerPackets, peer: member, sessionId: session, format: .opus, bytes: packet, monotonicNanoseconds: now))
            }
            hub.deliver(VoiceTapBuffer(tap: .mic, peer: nil, sessionId: session, format: .opus, bytes: packet, monotonicNanoseconds: now))
            tick += 1
            try await Task.sleep(until: start + .milliseconds(20 * tick))
        }
        let wall = Double((ContinuousClock.now - start).components.seconds) + Double((ContinuousClock.now - start).components.attoseconds) / 1e18
        let cpu = (Self.cpuSeconds() - startCPU) / wall * 100
        await plugin.stop()
        if record, context.published.filter({ $0 == "record.saved" }).isEmpty {
            throw ValidationError("the bench recording was not saved: \(context.published)")
        }
        return cpu
    }

    static func event(_ seq: UInt64, _ type: String, _ payload: JSONValue) throws -> Event {
        Event(seq: seq, at: 0, stream: "bench", type: type, version: 1, source: .sim, correlation: nil,
              payload: try JSONEncoder().encode(payload))
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}

/// A live plugin context for the bench: files in a scratch folder, the bench's hub as voice taps, published event
/// types remembered (not appended anywhere).
final class BenchContext: PluginContext, VoiceTapProviding, @unchecked Sendable {
    let pluginName = "auto-record"
    let logger = Logger(label: "bench.record")
    let dataDirectory: URL
    let mode: EngineMode = .live
    let voiceTaps: (any VoiceTapSource)?
    private let lock = NSLock()
    private var types: [String] = []
    private var seq: UInt64 = 100

    init(folder: URL, taps: VoiceTapHub) throws {
        dataDirectory = folder
        voiceTaps = taps
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    var published: [String] { lock.withLock { types } }

    func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func publish(_ draft: EventDraft) async throws -> Event {
        let next = lock.withLock { () -> UInt64 in
            types.append(draft.type)
            seq += 1
            return seq
        }
        return Event(seq: next, at: now(), stream: draft.stream, type: draft.type, version: draft.version, source: draft.source,
                     correlation: draft.correlation, payload: draft.payload)
    }

    func performSideEffect(_ description: String, _ effect: @Sendable () async throws -> Void) async throws { try await effect() }
}
