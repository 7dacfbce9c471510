public import Foundation
public import Logging
import Synchronization

/// The client-side rate limit every process of one data folder shares (F.4; as the community wrapper keeps it:
/// 300 requests per 15 minutes): a sliding window in `<data>/ratelimit.sqlite`. Each authenticated API request
/// takes a slot before it is sent; while the window is full the caller waits (cancellably, with `Task.sleep`)
/// until the oldest slot frees, and the limiter logs once that it is throttling.
///
/// SQLite is called only for one tiny transaction per decision; a file locked by another process is retried
/// after a few milliseconds of `Task.sleep`, never by blocking a thread.
public final class RateLimiter: Sendable {
    /// The shared file.
    public let path: String
    /// Requests per window.
    public let requests: Int
    /// The window in seconds.
    public let windowSeconds: Int
    private let store: Mutex<RateLimitStore>
    private let throttling = Mutex(false)
    private let logger: Logger
    private let clock: @Sendable () -> Int64

    /// Longest a locked file is waited for before the call fails.
    static let busyLimit: Duration = .seconds(10)

    /// A limiter of `requests` per `windowSeconds` (both above zero) over the file at `path`.
    public init(
        path: String, requests: Int, windowSeconds: Int, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
    ) {
        self.path = path
        self.requests = max(1, requests)
        self.windowSeconds = max(1, windowSeconds)
        self.logger = logger
        self.clock = clock
        store = Mutex(RateLimitStore(path: path, logger: logger))
    }

    /// The limiter of a data folder (`<data>/ratelimit.sqlite`), or nil when `psn.rateLimit` turns it off.
    public static func forDataDirectory(_ directory: URL, settings: PSNSettings.RateLimit, logger: Logger) -> RateLimiter? {
        guard settings.isEnabled else { return nil }
        return RateLimiter(
            path: directory.appendingPathComponent("ratelimit.sqlite").path, requests: settings.requests,
            windowSeconds: settings.windowSeconds, logger: logger)
    }

    /// Takes a slot, waiting while the window is full; throws `CancellationError` when cancelled meanwhile, or a
    /// `PSNError.configuration` naming the file when it cannot be used.
    public func acquire() async throws {
        let windowMs = Int64(windowSeconds) * 1000
        var waited = false
        var busySince: ContinuousClock.Instant?
        while true {
            try Task.checkCancellation()
            let outcome = try store.withLock { store in
                try store.take(limit: requests, windowMs: windowMs, now: clock)
            }
            switch outcome {
            case .granted:
                // A slot free without waiting ends a throttling spell: the next one is logged again.
                if !waited { throttling.withLock { $0 = false } }
                return
            case .full(let waitMs):
                busySince = nil
                waited = true
                if throttling.withLock({ state in
                    defer { state = true }
                    return !state
                }) {
                    logger.warning(
                        "rate limit: \(requests) requests per \(windowSeconds) s reached (shared through \(path)); throttling API calls")
                }
                try await Task.sleep(for: .milliseconds(waitMs))
            case .busy:
                let started = busySince ?? .now
                busySince = started
                if ContinuousClock.now - started > RateLimiter.busyLimit {
                    throw PSNError.configuration("rate limit file \(path): locked by another process for more than 10 s")
                }
                try await Task.sleep(for: .milliseconds(Int64.random(in: 2...10)))
            }
        }
    }
}
