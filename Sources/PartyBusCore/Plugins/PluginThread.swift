import Foundation
import Synchronization

/// The dedicated thread one plugin's calls run on (a `TaskExecutor`): a plugin that blocks its thread (a `sleep`,
/// a synchronous C call) holds up only its own calls, never the cooperative pool the other plugins and the daemon
/// run on. The thread ends when the plugin stops and is started again if a late job arrives.
final class PluginThread: TaskExecutor, @unchecked Sendable {
    private let name: String
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var jobs: [UnownedJob] = []
    private var closed = false
    private var threadRunning = false
    private let runningSince = Atomic<UInt64>(0)

    init(name: String) { self.name = name }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        let start = !threadRunning
        threadRunning = true
        condition.signal()
        condition.unlock()
        if start { startThread() }
    }

    /// Lets the thread end once it has nothing left to run.
    func close() {
        condition.lock()
        closed = true
        condition.signal()
        condition.unlock()
    }

    /// True while a job runs on the thread (after a timed-out call: the plugin still blocks it).
    var isRunningJob: Bool { runningSince.load(ordering: .acquiring) != 0 }

    /// Waits (suspended, polling) until no job runs, at most `limit`. True when the thread is free.
    func waitUntilFree(atMost limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while runningSince.load(ordering: .acquiring) != 0 {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    private func startThread() {
        let thread = Thread { [self] in loop() }
        thread.name = "plugin \(name)"
        thread.start()
    }

    private func loop() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while jobs.isEmpty && !closed { condition.wait() }
            if jobs.isEmpty {
                threadRunning = false
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            runningSince.store(max(DispatchTime.now().uptimeNanoseconds, 1), ordering: .releasing)
            job.runSynchronously(on: executor)
            runningSince.store(0, ordering: .releasing)
        }
    }
}
