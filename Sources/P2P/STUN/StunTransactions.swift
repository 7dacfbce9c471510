import Synchronization

/// Open STUN transactions by id: the receive loop hands each response to the request waiting for it.
public final class StunTransactions: Sendable {
    private let waiting = Mutex<[[UInt8]: Waiter]>([:])

    /// Makes an empty table.
    public init() {}

    /// One request's wait for its answer.
    final class Waiter: Sendable {
        private let state = Mutex<(answer: StunMessage?, continuation: CheckedContinuation<StunMessage, any Error>?, cancelled: Bool)>(
            (answer: nil, continuation: nil, cancelled: false))

        func deliver(_ message: StunMessage) {
            let continuation = state.withLock { s -> CheckedContinuation<StunMessage, any Error>? in
                if s.answer != nil { return nil }
                s.answer = message
                defer { s.continuation = nil }
                return s.continuation
            }
            continuation?.resume(returning: message)
        }

        func answer() async throws -> StunMessage {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let ready = state.withLock { s -> Result<StunMessage, any Error>? in
                        if let answer = s.answer { return .success(answer) }
                        if s.cancelled { return .failure(CancellationError()) }
                        s.continuation = continuation
                        return nil
                    }
                    if let ready { continuation.resume(with: ready) }
                }
            } onCancel: {
                let continuation = state.withLock { s -> CheckedContinuation<StunMessage, any Error>? in
                    s.cancelled = true
                    defer { s.continuation = nil }
                    return s.continuation
                }
                continuation?.resume(throwing: CancellationError())
            }
        }
    }

    func register(_ transactionID: [UInt8]) -> Waiter {
        let waiter = Waiter()
        waiting.withLock { $0[transactionID] = waiter }
        return waiter
    }

    func remove(_ transactionID: [UInt8]) {
        _ = waiting.withLock { $0.removeValue(forKey: transactionID) }
    }

    /// Hands a response to its request; false when no request waits for it (a late or forged answer).
    @discardableResult
    public func deliver(_ message: StunMessage) -> Bool {
        guard message.messageClass == .success || message.messageClass == .error else { return false }
        guard let waiter = waiting.withLock({ $0[message.transactionID] }) else { return false }
        waiter.deliver(message)
        return true
    }
}
