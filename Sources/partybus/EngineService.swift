import Foundation
import PartyBusCore
import ServiceLifecycle

/// The engine as a service of a `ServiceGroup`: runs until graceful shutdown (SIGINT/SIGTERM), then stops its
/// plugins and flushes the log.
struct EngineService: Service {
    let engine: Engine

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await engine.run()
        }
    }
}

/// Prints every new event as it is appended, until shutdown.
struct EventEchoService: Service {
    let log: EventLog
    let filter: EventFilter
    let printer: EventPrinter

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            for try await event in log.subscribe(from: log.head + 1, filter: filter) {
                printer.print(event)
            }
        }
    }
}
