import Foundation
import PartyBusCore
import Synchronization

/// Records the seqs it is given.
final class RecordingPlugin: Plugin {
    let seen = Mutex<[UInt64]>([])
    func handle(_ event: Event) async throws { seen.withLock { $0.append(event.seq) } }
    var count: Int { seen.withLock { $0.count } }
}

/// Throws on every `every`-th event it gets.
final class ThrowingPlugin: Plugin {
    let calls = Mutex(0)
    let every: Int
    init(every: Int) { self.every = every }
    func handle(_ event: Event) async throws {
        let n = calls.withLock {
            $0 += 1
            return $0
        }
        if n % every == 0 { throw PluginError("boom on #\(event.seq)") }
    }
}

/// Never answers.
final class HangingPlugin: Plugin {
    let calls = Mutex(0)
    func handle(_ event: Event) async throws {
        calls.withLock { $0 += 1 }
        await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
    }
}

/// Takes `delay` per event.
final class SlowPlugin: Plugin {
    let seen = Mutex<[UInt64]>([])
    let delay: Duration
    init(delay: Duration) { self.delay = delay }
    func handle(_ event: Event) async throws {
        try await Task.sleep(for: delay)
        seen.withLock { $0.append(event.seq) }
    }
    var count: Int { seen.withLock { $0.count } }
}

/// Publishes `test.pong` for each event it gets.
final class EchoPlugin: Plugin {
    let context: any PluginContext
    init(context: any PluginContext) { self.context = context }
    func handle(_ event: Event) async throws {
        try await context.publish(EventDraft(stream: "test", type: "test.pong", payloadJSON: Data("{}".utf8)))
        try await context.performSideEffect("ring the bell for #\(event.seq)") {}
    }
}

/// A count shared between test plugins.
final class SharedCount: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var current: Int { value.withLock { $0 } }
}

/// Blocks its thread (a synchronous sleep, as careless plugin code would) on the first event it gets.
final class ThreadBlockingPlugin: Plugin {
    let calls = Mutex(0)
    let finished: SharedCount
    let seconds: UInt32
    init(seconds: UInt32, finished: SharedCount) {
        self.seconds = seconds
        self.finished = finished
    }
    func handle(_ event: Event) async throws {
        let first = calls.withLock { calls in defer { calls += 1 }; return calls == 0 }
        guard first else { return }
        sleep(seconds)
        finished.add()
    }
}

/// Records, for each event it is given, how many blocking plugins had finished their block at that moment.
final class WitnessPlugin: Plugin {
    let seen = Mutex<[(seq: UInt64, finishedBlocks: Int)]>([])
    let finished: SharedCount
    init(finished: SharedCount) { self.finished = finished }
    func handle(_ event: Event) async throws {
        let now = finished.current
        seen.withLock { $0.append((event.seq, now)) }
    }
    var count: Int { seen.withLock { $0.count } }
}
