import Foundation
import PSN
import PSNSimulator
import PSNTestSupport
import PartyBusCore
import PartyBusTestSupport
import Testing

@Suite("The rate limit every process of a data folder shares", .serialized)
struct RateLimitTests {
    @Test("two limiters on one file (two processes) share 3 requests per 2 s: the 4th waits for the oldest slot")
    func shared() async throws {
        let dir = try TemporaryDirectory()
        let memory = MemoryLog()
        let path = dir.path("ratelimit.sqlite")
        let first = RateLimiter(path: path, requests: 3, windowSeconds: 2, logger: memory.logger())
        let second = RateLimiter(path: path, requests: 3, windowSeconds: 2, logger: memory.logger())
        let started = ContinuousClock.now
        try await first.acquire()
        try await second.acquire()
        try await first.acquire()
        #expect(!memory.all.contains { $0.contains("throttling") }, "three slots without waiting")
        try await second.acquire()
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(1900) && waited < .seconds(10), "the 4th waited for the first slot to free: \(waited)")
        #expect(memory.all.filter { $0.contains("throttling") }.count == 1, "logged once")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("a caller waiting for a slot can be cancelled")
    func cancellable() async throws {
        let dir = try TemporaryDirectory()
        let limiter = RateLimiter(path: dir.path("ratelimit.sqlite"), requests: 1, windowSeconds: 60, logger: MemoryLog().logger())
        try await limiter.acquire()
        let waiting = Task { try await limiter.acquire() }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test("a garbage ratelimit.sqlite is recreated (it holds nothing worth keeping), with a warning naming it")
    func garbage() async throws {
        let dir = try TemporaryDirectory()
        let memory = MemoryLog()
        let path = dir.path("ratelimit.sqlite")
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        let limiter = RateLimiter(path: path, requests: 2, windowSeconds: 60, logger: memory.logger())
        try await limiter.acquire()
        try await limiter.acquire()
        let header = try #require(FileManager.default.contents(atPath: path)).prefix(15)
        #expect(String(decoding: header, as: UTF8.self) == "SQLite format 3")
        #expect(memory.all.contains { $0.contains(path) && $0.contains("creating it again") })
        // Replaced under a running limiter (another process recreated it): noticed and reopened, the count starts
        // afresh in the new file.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        let other = RateLimiter(path: path, requests: 2, windowSeconds: 60, logger: memory.logger())
        let started = ContinuousClock.now
        try await other.acquire()
        try await limiter.acquire()
        #expect(ContinuousClock.now - started < .seconds(5), "the old file's two slots are gone with it")
    }

    @Test("a rate-limit path that cannot be a file is a clear error naming it")
    func unusable() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("ratelimit.sqlite")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let limiter = RateLimiter(path: path, requests: 2, windowSeconds: 60, logger: MemoryLog().logger())
        await #expect {
            try await limiter.acquire()
        } throws: { error in
            "\(error)".contains(path)
        }
    }

    @Test("two PSN clients on one data folder share the limit: the 4th API call waits")
    func twoClients() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let dir = try TemporaryDirectory()
            var settings = ClientHarness.settings(base: simulator.baseURL!)
            settings.rateLimit = .init(requests: 3, windowSeconds: 2)
            let memory = MemoryLog()
            let clients = try (1...2).map { index in
                try PSNClient(
                    settings: settings, dataDirectory: dir.url, log: try EventLog(path: dir.path("events-\(index).sqlite")),
                    source: .sim, logger: memory.logger())
            }
            try await clients[0].tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            let started = ContinuousClock.now
            _ = try await clients[0].parties.list()
            _ = try await clients[1].parties.list()
            _ = try await clients[0].parties.list()
            #expect(!memory.all.contains { $0.contains("throttling") }, "three calls without waiting")
            _ = try await clients[1].parties.list()
            #expect(memory.all.filter { $0.contains("throttling") }.count == 1)
            #expect(ContinuousClock.now - started >= .milliseconds(1900), "the 4th call waited for a slot")
            #expect(clients[0].rateLimiter?.path == dir.path("ratelimit.sqlite"))
            return ()
        }
    }

    @Test("psn.rateLimit: defaults 300 per 900 s, 0 turns it off, bad values name the key")
    func settings() throws {
        let dir = try TemporaryDirectory()
        let loader = ConfigLoader(extraSections: [("psn", PSNSettings.schema)], environment: [:])
        let defaults = try PSNSettings.from(loader.load(file: nil))
        #expect(defaults.rateLimit == .init(requests: 300, windowSeconds: 900))
        #expect(RateLimiter.forDataDirectory(dir.url, settings: defaults.rateLimit, logger: MemoryLog().logger()) != nil)

        let good = dir.path("good.yaml")
        try "psn:\n  rateLimit:\n    requests: 0\n    windowSeconds: 60\n".write(toFile: good, atomically: true, encoding: .utf8)
        let off = try PSNSettings.from(loader.load(file: good))
        #expect(off.rateLimit == .init(requests: 0, windowSeconds: 60))
        #expect(RateLimiter.forDataDirectory(dir.url, settings: off.rateLimit, logger: MemoryLog().logger()) == nil)
        #expect(!FileManager.default.fileExists(atPath: dir.path("ratelimit.sqlite")))

        let bad = dir.path("bad.yaml")
        try "psn:\n  rateLimit:\n    requests: -1\n    windowSeconds: soon\n    burst: 3\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let messages = loader.check(file: bad).map(\.message)
        #expect(messages.contains { $0.contains("psn.rateLimit.requests") })
        #expect(messages.contains { $0.contains("psn.rateLimit.windowSeconds") })
        #expect(messages.contains { $0.contains("burst") && $0.contains("psn.rateLimit") })

        var inCode = PSNSettings.defaults
        inCode.rateLimit.windowSeconds = -5
        #expect { try inCode.validateRateLimit() } throws: { "\($0)".contains("psn.rateLimit.windowSeconds") }
    }
}
