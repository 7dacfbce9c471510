import PartyBusCore

/// Ends the daemon when its log writer stops for good (another process appended under it): the group shuts down
/// and `up` exits with the writer's message, instead of every part retrying appends that can never succeed.
enum LogWatch {
    static func run(_ log: EventLog) async throws {
        while true {
            if let failure = log.writerFailure { throw failure }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}
