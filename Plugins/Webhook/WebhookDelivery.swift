import Foundation
import PartyBusPluginAPI
import Synchronization

/// The bounded queue and its one sender: events are POSTed in order; a failed try is retried with doubling
/// backoff until `max_attempts`, then published as `webhook.dead_letter`. `enqueue` never waits: when the queue is
/// full the event is dropped and counted.
actor WebhookDelivery {
    private let options: WebhookOptions
    private let context: any PluginContext
    private let poster = HTTPPoster()
    private var queue: [PendingDelivery] = []
    private var head = 0
    private var inFlight: PendingDelivery?
    private var waiter: CheckedContinuation<Void, Never>?
    private var sender: Task<Void, Never>?
    private var droppedSinceReport = 0
    private var droppedSeqs: (first: UInt64, last: UInt64)?
    private var totalDropped = 0
    private var lastDropReport: ContinuousClock.Instant?

    init(options: WebhookOptions, context: any PluginContext, restored: [PendingDelivery]) {
        self.options = options
        self.context = context
        queue = restored
    }

    /// Starts the sender task.
    func start() {
        sender = Task { await self.sendLoop() }
    }

    /// Queues `item`; false when the queue is full and it was dropped (and counted).
    func enqueue(_ item: PendingDelivery) -> Bool {
        guard queue.count - head < options.queueCapacity else {
            droppedSinceReport += 1
            totalDropped += 1
            droppedSeqs = (droppedSeqs?.first ?? item.seq, item.seq)
            return false
        }
        queue.append(item)
        waiter?.resume()
        waiter = nil
        return true
    }

    /// Events waiting (not counting the one being sent).
    var queued: Int { queue.count - head }

    /// A `webhook.dropped` report when drops happened since the last one and a report is due (the first drop, then
    /// at most every 10 s; always when `force`).
    func takeDropReport(force: Bool = false) -> WebhookDropped? {
        guard droppedSinceReport > 0, let seqs = droppedSeqs else { return nil }
        let now = ContinuousClock.now
        if !force, let last = lastDropReport, now - last < .seconds(10) { return nil }
        lastDropReport = now
        let report = WebhookDropped(
            url: options.shownURL, dropped: droppedSinceReport, totalDropped: totalDropped, firstSeq: seqs.first,
            lastSeq: seqs.last, queueCapacity: options.queueCapacity)
        droppedSinceReport = 0
        droppedSeqs = nil
        return report
    }

    /// Stops sending (an in-flight request or backoff wait is cancelled) and returns what was not delivered, the
    /// interrupted event first.
    func stop() async -> [PendingDelivery] {
        sender?.cancel()
        waiter?.resume()
        waiter = nil
        poster.close()
        await sender?.value
        var left = Array(queue[head...])
        if let inFlight { left.insert(inFlight, at: 0) }
        queue = []
        head = 0
        inFlight = nil
        return left
    }

    private func next() async -> PendingDelivery? {
        while head == queue.count {
            if Task.isCancelled { return nil }
            await withCheckedContinuation { waiter = $0 }
        }
        if Task.isCancelled { return nil }
        let item = queue[head]
        head += 1
        if head > 256 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return item
    }

    private func sendLoop() async {
        while let item = await next() {
            inFlight = item
            await deliver(item)
            if Task.isCancelled { return }
            inFlight = nil
        }
    }

    /// Tries `item` until it is delivered, refused for good, out of tries, or the task is cancelled.
    private func deliver(_ item: PendingDelivery) async {
        var item = item
        var delay = options.retryMin
        while !Task.isCancelled {
            item.attempts += 1
            inFlight = item
            let outcome = await attempt(item)
            if Task.isCancelled { return }
            switch outcome {
            case .delivered:
                return
            case .failed(let status, let error, let retryable, let retryAfter):
                guard retryable, item.attempts < options.maxAttempts else {
                    context.logger.warning(
                        "webhook: #\(item.seq) \(item.type) to \(options.shownURL) given up after \(item.attempts) tries: \(error)")
                    _ = try? await context.publish(
                        EventDraft(
                            stream: "plugin/\(context.pluginName)",
                            payload: WebhookDeadLetter(
                                url: options.shownURL, seq: item.seq, eventType: item.type, attempts: item.attempts,
                                status: status, error: error),
                            correlation: "seq:\(item.seq)"))
                    return
                }
                var wait = delay
                if let retryAfter { wait = max(wait, .seconds(retryAfter)) }
                wait = min(wait, options.retryMax)
                context.logger.info(
                    "webhook: #\(item.seq) \(item.type) try \(item.attempts) of \(options.maxAttempts) failed (\(error)); retrying in \(wait)")
                try? await Task.sleep(for: wait)
                delay = min(delay * 2, options.retryMax)
            }
        }
    }

    private enum Outcome {
        case delivered
        case failed(status: Int?, error: String, retryable: Bool, retryAfter: Int?)
    }

    private func attempt(_ item: PendingDelivery) async -> Outcome {
        let body = Data(item.body.utf8)
        let timestamp = context.now() / 1000
        var headers = options.headers
        headers["Content-Type"] = "application/json"
        headers[WebhookSignature.timestampHeader] = String(timestamp)
        headers[WebhookSignature.signatureHeader] = WebhookSignature.sign(secret: options.secret, timestamp: timestamp, body: body)
        headers[WebhookSignature.deliveryHeader] = "\(context.pluginName):\(item.seq)"
        let result = Mutex<(status: Int, retryAfter: Int?)?>(nil)
        let (poster, url, timeout, sent) = (poster, options.url, options.timeout, headers)
        do {
            try await context.performSideEffect("POST \(options.shownURL) \(item.type) #\(item.seq)") {
                let answer = try await poster.post(url: url, headers: sent, body: body, timeout: timeout)
                result.withLock { $0 = answer }
            }
        } catch {
            return .failed(status: nil, error: "\(error)", retryable: true, retryAfter: nil)
        }
        guard let answer = result.withLock({ $0 }) else { return .delivered }  // replay: recorded, not sent
        switch answer.status {
        case 200..<300:
            return .delivered
        case 408, 425, 429, 500...599:
            return .failed(status: answer.status, error: "HTTP \(answer.status)", retryable: true, retryAfter: answer.retryAfter)
        default:
            return .failed(status: answer.status, error: "HTTP \(answer.status) (not retried)", retryable: false, retryAfter: nil)
        }
    }
}
