import Foundation
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

    @Test("a full queue holds its producer thread back until the consumer takes; nothing is lost or reordered")
    func backpressure() async {
        let queue = BatchQueue<Int>(capacity: 4)
        let producer = Thread { for n in 1...200 { queue.push(n) } }
        producer.start()
        var received: [Int] = []
        var largest = 0
        while received.count < 200, let batch = await queue.next() {
            largest = max(largest, batch.count)
            received += batch
            try? await Task.sleep(for: .milliseconds(2))
        }
        #expect(received == Array(1...200))
        #expect(largest <= 4)
        #expect(queue.producerWaits > 0)
    }

    @Test("a producer blocked on a full queue is let go when the consumer's task is cancelled")
    func consumerGone() async {
        let queue = BatchQueue<Int>(capacity: 1)
        queue.push(1)
        let done = Mutex(false)
        let producer = Thread {
            queue.push(2)
            queue.push(3)
            done.withLock { $0 = true }
        }
        producer.start()
        #expect(await eventually(timeout: .seconds(5)) { queue.producerWaits == 1 })
        #expect(!done.withLock { $0 })
        let consumer = Task {
            try? await Task.sleep(for: .seconds(60))
            return await queue.next()
        }
        consumer.cancel()
        #expect(await consumer.value == nil)
        #expect(await eventually(timeout: .seconds(5)) { done.withLock { $0 } })
    }
}
