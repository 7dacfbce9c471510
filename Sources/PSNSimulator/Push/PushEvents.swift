/// Push `dataType` strings the simulator emits (psn-protocol.md E.6).
enum PushDataType {
    static let partySessionCreated = "psn:sessionManager:sys:v2:partySession:created"
    static let membersCreated = "psn:sessionManager:sys:v2:ps:members:created"
    static let membersDeleted = "psn:sessionManager:sys:v2:ps:members:deleted"
    static let ownerUpdated = "psn:sessionManager:sys:v2:ps:owner:updated"
    static let customMessageNoSeq = "psn:sessionManager:sys:v2:ps:customMessage:noSeq:created"
    static let customMessage = "psn:sessionManager:sys:v2:ps:customMessage:created"
    static let partySessionDeletedOutside = "psn:sessionManager:sys:outside:v2:partySession:deleted"
    static let invitationsCreated = "psn:sessionManager:sys:v2:ps:invitations:created"

    /// `psn:sessionManager:sys:v2:ps:m:customData3:updated` / `…customData4…`.
    static func memberFieldUpdated(_ field: String) -> String { "psn:sessionManager:sys:v2:ps:m:\(field):updated" }
    /// `psn:sessionManager:sys:v2:ps:sessionName:updated` etc.
    static func partyFieldUpdated(_ field: String) -> String { "psn:sessionManager:sys:v2:ps:\(field):updated" }
    /// `psn:sessionManager:sys:outside:v2:ps:visibilityType:updated` etc. (non-member recipients).
    static func outsidePartyFieldUpdated(_ field: String) -> String {
        "psn:sessionManager:sys:outside:v2:ps:\(field):updated"
    }
}

/// Builds the E.5 event frame for one recipient.
enum PushFrame {
    static func event(dataType: String, to recipient: SimulatedAccount, data: JSONValue) -> String {
        let frame: JSONValue = .object([
            "version": .string("3.0"),
            "method": .int(3001),
            "dataType": .string(dataType),
            "to": .object([
                "accountId": .string(recipient.accountId),
                "onlineId": .string(recipient.onlineId),
                "platform": .string(recipient.platform),
            ]),
            "body": .object(["data": data]),
        ])
        return frame.serialized
    }
}

/// What a push socket's writer should do next.
enum PushCommand: Sendable {
    /// Send a text frame, not before the given instant (event delay switch).
    case text(String, notBefore: ContinuousClock.Instant)
    /// Send a close frame with this (possibly invalid) status code, then end the connection.
    case close(code: UInt16, reason: String?)
    /// Drop the TCP connection without a close frame.
    case drop
}

/// A registered push socket.
struct PushConnection: Sendable {
    let id: UInt64
    var accountId: String?
    /// Bounded (`pushQueueLimit`): a frame that does not fit means the client stopped reading.
    let continuation: AsyncStream<PushCommand>.Continuation
    /// Closes the TCP connection at once (used when the queue overflows, since no command fits any more).
    let closeNow: @Sendable () -> Void
    /// Set when the connection was dropped because its client did not read.
    var overflowed = false
}
