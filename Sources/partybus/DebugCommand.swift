import ArgumentParser
import Foundation
import PartyBusCore

/// `partybus debug …`: tools for tests and investigations.
struct DebugCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug", abstract: "Tools for tests and investigations.", shouldDisplay: false,
        subcommands: [AppendStress.self])

    /// Appends events from concurrent writers and prints `ack <seq>` for each durable one.
    struct AppendStress: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "append-stress", abstract: "Append events and print 'ack <seq>' once each is durable.")
        @Option(name: .long, help: "The log file.") var db: String
        @Option(name: .long, help: "Events to append.") var count = 100_000
        @Option(name: .long, help: "Concurrent writers.") var writers = 8

        func run() async throws {
            let log = try EventLog(path: db)
            let out = FileHandle.standardOutput
            let perWriter = count / writers
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for n in 0..<perWriter {
                            let event = try await log.append(
                                EventDraft(stream: "stress/\(writer)", type: "stress.append",
                                           payloadJSON: Data(#"{"writer":\#(writer),"n":\#(n)}"#.utf8)))
                            try out.write(contentsOf: Data("ack \(event.seq)\n".utf8))
                        }
                    }
                }
                try await group.waitForAll()
            }
            log.close()
        }
    }
}
