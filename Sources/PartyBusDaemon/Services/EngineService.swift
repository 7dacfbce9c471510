import Foundation
public import PartyBusCore
public import ServiceLifecycle

/// The engine as a service of a `ServiceGroup`: runs until graceful shutdown (SIGINT/SIGTERM), then stops its
/// plugins and flushes the log.
public struct EngineService: Service {
    let engine: Engine

    /// A service running `engine`.
    public init(engine: Engine) { self.engine = engine }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await engine.run()
        }
    }
}

/// Prints every new event as it is appended, until shutdown.
public struct EventEchoService: Service {
    let log: EventLog
    let filter: EventFilter
    let printer: @Sendable (Event) -> Void

    /// Prints what `filter` matches with `printer`.
    public init(log: EventLog, filter: EventFilter, printer: @escaping @Sendable (Event) -> Void) {
        self.log = log
        self.filter = filter
        self.printer = printer
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            for try await event in log.subscribe(from: log.head + 1, filter: filter) {
                printer(event)
            }
        }
    }
}
