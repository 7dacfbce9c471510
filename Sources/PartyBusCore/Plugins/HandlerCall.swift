import Synchronization

/// How one call into a plugin ended.
enum HandlerOutcome: Sendable, Equatable {
    case done
    case threw(String)
    case timedOut
    case cancelled
}

/// Runs a plugin call in its own task, racing a timer, so a plugin that hangs never holds up its caller.
///
/// On a timeout the call's task is cancelled and abandoned; the caller goes on at once.
enum HandlerCall {
    /// Runs `body` on `executor` (the plugin's own thread; nil: the pool). A call abandoned before it started is
    /// never made.
    static func run(
        timeout: Duration, on executor: (any TaskExecutor)? = nil, _ body: @escaping @Sendable () async throws -> Void
    ) async -> HandlerOutcome {
        let outcome = OnceOutcome()
        let work = Task(executorPreference: executor) {
            if Task.isCancelled {
                outcome.resolve(.cancelled)
                return
            }
            do {
                try await body()
                outcome.resolve(.done)
            } catch is CancellationError {
                outcome.resolve(.cancelled)
            } catch {
                outcome.resolve(.threw("\(error)"))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { outcome.resolve(.timedOut) }
        }
        let result = await withTaskCancellationHandler {
            await outcome.value()
        } onCancel: {
            outcome.resolve(.cancelled)
        }
        timer.cancel()
        if result != .done { work.cancel() }
        return result
    }
}

/// A value resolved once, by whichever side comes first, awaited by one waiter.
private final class OnceOutcome: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<HandlerOutcome, Never>)
        case resolved(HandlerOutcome)
    }

    private let state = Mutex<State>(.pending)

    func resolve(_ outcome: HandlerOutcome) {
        let waiter = state.withLock { state -> CheckedContinuation<HandlerOutcome, Never>? in
            switch state {
            case .pending:
                state = .resolved(outcome)
                return nil
            case .waiting(let continuation):
                state = .resolved(outcome)
                return continuation
            case .resolved:
                return nil
            }
        }
        waiter?.resume(returning: outcome)
    }

    func value() async -> HandlerOutcome {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> HandlerOutcome? in
                if case .resolved(let outcome) = state { return outcome }
                state = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
