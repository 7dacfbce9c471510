import ArgumentParser
import Foundation
import PartyBusCore

/// `partybus events …`: read the event log.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Read the event log.",
        subcommands: [Tail.self, Show.self, Export.self, Stats.self])

    /// `events tail`: the last events, and with --follow every new one.
    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the last events; --follow waits for new ones.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .shortAndLong, help: "Keep printing events as they are appended.") var follow = false
        @Option(name: .long, help: "Only types matching this glob (e.g. 'party.*'); repeatable.") var type: [String] = []
        @Option(name: .long, help: "Only this stream (a glob, e.g. 'party/*'); repeatable.") var stream: [String] = []
        @Option(name: [.customShort("n"), .long], help: "How many past events to print first.") var count = 20
        @Flag(name: .long, help: "Print JSON lines.") var json = false

        func run() async throws {
            let profile = try global.profile()
            let log = try EventLog(readingOnly: profile.config.eventLogPath)
            let filter = EventFilter(types: type, streams: stream)
            let printer = EventPrinter(json: json)
            let past = try log.readLast(count, filter: filter)
            past.forEach(printer.print)
            guard follow else { return }
            var next = max(past.last.map { $0.seq + 1 } ?? 1, log.head + 1)
            while true {
                let control = DaemonAPI.control(profile)
                if control.isReachable {
                    // The daemon's stream: from `next`, with no gap and no duplicate where it switches to live.
                    var query: [String: [String]] = ["from": [String(next)]]
                    if !type.isEmpty { query["type"] = type }
                    if !stream.isEmpty { query["stream"] = stream }
                    let last = LastSeen()
                    do {
                        try await UnixSocketStream.follow(
                            socketPath: control.socketPath, target: "/v1/events/stream" + ControlClient.queryString(query)
                        ) { message in
                            guard let event = try? EventJSON.event(fromLine: Data(message.data.utf8)) else { return }
                            printer.print(event)
                            last.seq = event.seq
                        }
                    } catch {
                        printError("events: the daemon's stream ended (\(error)); reconnecting")
                    }
                    if let seen = last.seq { next = seen + 1 }
                } else {
                    // No daemon: nothing appends but a command holding the lock; read what it commits.
                    for event in try log.read(from: next, filter: filter, limit: 4096) {
                        printer.print(event)
                        next = event.seq + 1
                    }
                    next = max(next, log.head + 1)
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// The last seq the stream handler printed (written by the reader thread, read after it ends).
    final class LastSeen: @unchecked Sendable {
        private let lock = NSLock()
        private var value: UInt64?
        var seq: UInt64? {
            get { lock.withLock { value } }
            set { lock.withLock { value = newValue } }
        }
    }

    /// `events show SEQ`: one event in full.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one event with its whole payload.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The event's seq.") var seq: UInt64

        func run() async throws {
            let log = try EventLog(readingOnly: try global.eventLogPath())
            guard let event = try log.event(at: seq) else {
                printError("no event #\(seq) (the log has \(log.head) events)")
                throw ExitCode(1)
            }
            let payload = try JSONSerialization.jsonObject(with: event.payload)
            let pretty = try JSONSerialization.data(withJSONObject: payload, options: [.prettyPrinted, .sortedKeys])
            print("seq:         \(event.seq)")
            print("at:          \(event.at) (\(Date(timeIntervalSince1970: Double(event.at) / 1000)))")
            print("stream:      \(event.stream)")
            print("type:        \(event.type) v\(event.version)")
            print("source:      \(event.source.rawValue)")
            print("correlation: \(event.correlation ?? "-")")
            print("payload:\n\(String(decoding: pretty, as: UTF8.self))")
        }
    }

    /// `events export --jsonl`: the log as JSON lines on stdout.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write events as JSON lines to stdout (progress on stderr when it is a terminal).")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .long, help: "JSON lines (the only format so far).") var jsonl = false
        @Option(name: .long, help: "First seq.") var from: UInt64 = 1
        @Option(name: .long, help: "Last seq.") var to: UInt64?

        func validate() throws {
            guard jsonl else { throw ValidationError("say --jsonl (the export format)") }
        }

        func run() async throws {
            let log = try EventLog(readingOnly: try global.eventLogPath())
            let last = min(to ?? log.head, log.head)
            let total = last >= from ? last - from + 1 : 0
            let progress = ProgressBar(total: total)
            let out = FileHandle.standardOutput
            var next = from
            var written: UInt64 = 0
            while next <= last {
                let page = try log.read(from: next, to: last, limit: 8192)
                guard let tail = page.last else { break }
                var chunk = Data()
                for event in page {
                    chunk.append(EventJSON.line(for: event))
                    chunk.append(0x0A)
                }
                try out.write(contentsOf: chunk)
                written += UInt64(page.count)
                progress.update(tail.seq - from + 1)
                next = tail.seq + 1
            }
            progress.finish()
            printError("exported \(written) events")
        }
    }

    /// `events stats`: counts by type and stream.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counts by type and stream, time range, size.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let path = try global.eventLogPath()
            let stats = try EventLog(readingOnly: path).stats()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(stats), as: UTF8.self))
                return
            }
            print("log:       \(path)")
            print("events:    \(stats.count) (seq \(stats.firstSeq)…\(stats.lastSeq))")
            if stats.count > 0 {
                let first = Date(timeIntervalSince1970: Double(stats.firstAt) / 1000)
                let last = Date(timeIntervalSince1970: Double(stats.lastAt) / 1000)
                print("time:      \(first) … \(last)")
            }
            print("size:      \(ByteCountFormatter.string(fromByteCount: stats.fileBytes, countStyle: .file))")
            print("by type:")
            for entry in stats.byType.prefix(30) { print("  \(String(entry.count).padding(toLength: 10, withPad: " ", startingAt: 0)) \(entry.name)") }
            print("by stream:")
            for entry in stats.byStream.prefix(30) { print("  \(String(entry.count).padding(toLength: 10, withPad: " ", startingAt: 0)) \(entry.name)") }
            if !stats.checkpoints.isEmpty {
                print("plugin checkpoints:")
                for (plugin, seq) in stats.checkpoints.sorted(by: { $0.key < $1.key }) { print("  \(plugin): \(seq)") }
            }
        }
    }
}
