import ArgumentParser
import Foundation
import PartyBusCore
import Synchronization

/// `partybus bench eventlog`: durable appends/s with 1, 8 and 64 writers, catch-up reads/s over a large log, and
/// the raw-SQLite baseline for both, printed as ratios.
struct EventLogBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventlog",
        abstract: "Durable appends/s (1, 8, 64 writers) and catch-up reads/s, against a raw-SQLite baseline.")

    @Option(name: .long, help: "Seconds per append measurement.") var seconds: Double = 3
    @Option(name: .long, help: "Events in the catch-up log.") var events = 1_000_000
    @Option(name: .long, parsing: .upToNextOption, help: "Writer counts to measure.") var writers: [Int] = [1, 8, 64]
    @Option(name: .long, help: "Folder for the benchmark databases (default: a temporary folder).") var dir: String?
    @Option(name: .long, help: "Also measure with this many appends in flight per writer (0: skip).") var window = 16
    @Option(
        name: .long, parsing: .upToNextOption,
        help: "Group-commit windows to compare, in µs (EventLog.Options.groupCommitWindow; the first is the default).")
    var commitWindow: [Int] = [0, 200]

    static let payload = #"{"accountId":"1234567890123456789","joinOrder":2,"onlineId":"sim-alice","platform":"PS5"}"#

    func run() async throws {
        #if DEBUG
        printError("warning: this is a debug build; run `swift run -c release partybus bench eventlog`")
        #endif
        let folder = URL(fileURLWithPath: dir ?? NSTemporaryDirectory()).appendingPathComponent("partybus-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let draft = try EventDraft(stream: "bench/1", type: "bench.append", payloadJSON: Data(Self.payload.utf8))

        print("PartyBus event log benchmark (WAL, synchronous=FULL, \(ProcessInfo.processInfo.activeProcessorCount) cores)")
        print("Raw baselines: a C-API loop over a log the engine created, with the engine's own pragmas (EventLogTuning).")
        print("\nraw SQLite, one durable transaction per batch:")
        var rawBest = 0.0
        for batch in [1, 64, 512, 4096] {
            let rate = try RawSQLiteBaseline.inserts(
                path: folder.appendingPathComponent("raw-\(batch).sqlite").path, batch: batch, seconds: seconds,
                payload: Self.payload)
            rawBest = max(rawBest, rate)
            print("  batch \(String(batch).padding(toLength: 5, withPad: " ", startingAt: 0)) \(format(rate)) inserts/s")
        }

        print("\nengine: durable appends/s (each writer appends one event at a time and awaits it), against raw SQLite")
        print("at the engine's own mean group-commit size, measured right after it:")
        for count in writers {
            for micros in commitWindow {
                let measured = try await engineRate(
                    path: folder.appendingPathComponent("engine-\(count)-\(micros).sqlite").path, writers: count,
                    draft: draft, commitWindow: .microseconds(micros))
                let batch = max(1, Int(measured.meanBatch.rounded()))
                let raw = try RawSQLiteBaseline.inserts(
                    path: folder.appendingPathComponent("raw-same-\(count)-\(micros).sqlite").path, batch: batch,
                    seconds: seconds, payload: Self.payload)
                let goal = count >= 64 ? "   (goal ≥ 0.80×)" : ""
                print(
                    "  \(String(count).padding(toLength: 3, withPad: " ", startingAt: 0)) writers, window "
                        + "\(String(micros).padding(toLength: 3, withPad: " ", startingAt: 0)) µs  \(format(measured.rate)) appends/s"
                        + "  mean \(String(format: "%.1f", measured.meanBatch))/commit  raw at batch \(batch) \(format(raw))"
                        + " = \(ratio(measured.rate, raw)) like-for-like\(goal); \(ratio(measured.rate, rawBest)) of raw best")
            }
        }

        if window > 1, let most = writers.max() {
            let measured = try await engineRate(
                path: folder.appendingPathComponent("engine-window.sqlite").path, writers: most * window, draft: draft,
                commitWindow: .microseconds(commitWindow.first ?? 200))
            let batch = max(1, Int(measured.meanBatch.rounded()))
            let raw = try RawSQLiteBaseline.inserts(
                path: folder.appendingPathComponent("raw-same-window.sqlite").path, batch: batch, seconds: seconds,
                payload: Self.payload)
            print(
                "  \(most) writers × \(window) in flight  \(format(measured.rate)) appends/s  mean "
                    + "\(String(format: "%.1f", measured.meanBatch))/commit  = \(ratio(measured.rate, raw)) of raw at batch \(batch);"
                    + " \(ratio(measured.rate, rawBest)) of raw best")
        }

        print("\ncatch-up read over a \(format(Double(events))) event log:")
        let readPath = folder.appendingPathComponent("catchup.sqlite").path
        let log = try EventLog(path: readPath)
        let build = ContinuousClock.now
        var remaining = events
        while remaining > 0 {
            let n = min(remaining, 8192)
            try await log.append(contentsOf: Array(repeating: draft, count: n))
            remaining -= n
        }
        print("  (built in \(String(format: "%.1f", (ContinuousClock.now - build).seconds)) s)")
        let raw = try RawSQLiteBaseline.scan(path: readPath)
        let rawCopying = try RawSQLiteBaseline.scan(path: readPath, copying: true)
        print("  raw scan, columns in place          \(format(raw.perSecond)) rows/s")
        print("  raw scan, rows copied into values   \(format(rawCopying.perSecond)) rows/s   (both with the engine's reader pragmas)")
        let start = ContinuousClock.now
        var seen = 0
        for try await _ in log.subscribe(from: 1) {
            seen += 1
            if seen == events { break }
        }
        let readRate = Double(seen) / (ContinuousClock.now - start).seconds
        print("  subscription                        \(format(readRate)) events/s  = \(ratio(readRate, rawCopying.perSecond)) of the copying raw scan (goal ≥ 0.90×), \(ratio(readRate, raw.perSecond)) of in place")
        log.close()
    }

    /// Appends/s with `writers` concurrent appenders on a fresh log, and the mean number of events per commit.
    private func engineRate(
        path: String, writers: Int, draft: EventDraft, commitWindow: Duration
    ) async throws -> (rate: Double, meanBatch: Double) {
        let log = try EventLog(path: path, options: EventLog.Options(groupCommitWindow: commitWindow))
        defer { log.close() }
        let rate = try await appendRate(log: log, writers: writers, draft: draft)
        let appended = Double(log.head)
        return (rate, appended / Double(max(1, log.commitCount)))
    }

    private func appendRate(log: EventLog, writers: Int, draft: EventDraft) async throws -> Double {
        let stop = StopFlag()
        let start = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    var n = 0
                    while !stop.value.load(ordering: .relaxed) {
                        try await log.append(draft)
                        n += 1
                    }
                    return n
                }
            }
            try await Task.sleep(for: .seconds(seconds))
            stop.value.store(true, ordering: .relaxed)
            return try await group.reduce(0, +)
        }
        return Double(total) / (ContinuousClock.now - start).seconds
    }

    private func format(_ value: Double) -> String {
        let text = value >= 1_000_000 ? String(format: "%.2fM", value / 1_000_000)
            : value >= 1000 ? String(format: "%.1fk", value / 1000) : String(format: "%.0f", value)
        return text.padding(toLength: 8, withPad: " ", startingAt: 0)
    }

    private func ratio(_ value: Double, _ base: Double) -> String {
        base > 0 ? String(format: "%.2f×", value / base) : "n/a"
    }
}

/// A flag the measuring task raises to stop the writers.
final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}
