@testable import PSN
import PSNTestSupport
import PartyBusTestSupport
import Synchronization
import Testing

@Suite("Batch queue")
struct BatchQueueTests {
    @Test("hands over everything pending at once, in order")
    func batches() async {
        let queue = BatchQueue<Int>()
        for n in 1...5 { queue.push(n) }
        #expect(await queue.next() == [1, 2, 3, 4, 5])
        queue.push(6)
        queue.finish()
        #expect(await queue.next() == [6])
        #expect(await queue.next() == nil)
    }

    @Test("a waiting consumer returns nil when its task is cancelled")
    func cancellation() async {
        let queue = BatchQueue<Int>()
        let returned = Mutex(false)
        let waiting = Task {
            let result = await queue.next()
            returned.withLock { $0 = true }
            return result
        }
        try? await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        #expect(await eventually(timeout: .seconds(5)) { returned.withLock { $0 } })
        #expect(await waiting.value == nil)
    }
}
