import Logging
import ServiceLifecycle

/// A long-running part of the daemon as a `Service` of its `ServiceGroup`: a name (for logs) and a body that runs
/// until graceful shutdown cancels it. A body that ends early or throws ends the daemon (the group shuts down).
struct DaemonPart: Service, CustomStringConvertible {
    let description: String
    let body: @Sendable () async throws -> Void

    init(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
        description = name
        self.body = body
    }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown(body)
        } catch is CancellationError where Task.isShuttingDownGracefully {
            // Graceful shutdown cancels the part: a clean stop.
        }
        // A part that ends on its own before shutdown waits for it, so only failures end the daemon early.
        if !Task.isShuttingDownGracefully && !Task.isCancelled { try? await gracefulShutdown() }
    }
}
