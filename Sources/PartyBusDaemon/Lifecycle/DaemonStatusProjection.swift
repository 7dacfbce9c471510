public import PSN
public import PartyBusCore

/// What the daemon's status shows beyond the parties, folded from the log only: the signed-in account, the push
/// socket's state, and invitations that arrived over push and are still open.
public struct DaemonStatusProjection: Projection, Equatable {
    public static let name = "daemon"
    public static let filter = EventFilter(types: [
        "auth.*", PushConnected.eventType, PushDisconnected.eventType, PartyInvitationReceived.eventType,
        PartyJoined.eventType, PartyLeft.eventType, PartyDeleted.eventType, PartyMemberJoined.eventType,
        "record.*", EngineStarted.eventType,
    ])

    /// The account of the last sign-in (nil after sign-out or when sign-in is required).
    public var accountId: String?
    /// `connected`, `disconnected` or `never` (no push socket yet).
    public var push: String = "never"
    /// Which connection of this run the socket is (1 = the first).
    public var pushConnection: Int = 0
    /// Why it last went down.
    public var pushLastError: String?
    /// Why sign-in is required, when it is.
    public var signInRequired: String?
    /// Invitations received by push, by party, not yet answered by joining (and the party not gone).
    public var invitations: [String: PartyInvitationReceived] = [:]

    /// Recordings in progress (`record.started` not yet followed by `record.saved`), by id.
    public var recordings: [String: RecordStarted] = [:]

    public init() {}

    public mutating func apply(_ event: Event) {
        switch event.type {
        case SignedIn.eventType:
            accountId = (try? event.decode(SignedIn.self))?.accountId
            signInRequired = nil
        case TokenRefreshed.eventType:
            accountId = (try? event.decode(TokenRefreshed.self))?.accountId ?? accountId
        case SignedOut.eventType:
            accountId = nil
        case SignInRequired.eventType:
            accountId = nil
            signInRequired = (try? event.decode(SignInRequired.self))?.reason ?? "sign-in required"
        case PushConnected.eventType:
            push = "connected"
            pushConnection = (try? event.decode(PushConnected.self))?.connection ?? pushConnection
        case PushDisconnected.eventType:
            push = "disconnected"
            pushLastError = (try? event.decode(PushDisconnected.self))?.reason
        case PartyInvitationReceived.eventType:
            guard let invitation = try? event.decode(PartyInvitationReceived.self) else { return }
            invitations[invitation.sessionId] = invitation
        case PartyJoined.eventType, PartyLeft.eventType, PartyDeleted.eventType:
            guard let ref = try? event.decode(SessionReference.self) else { return }
            invitations[ref.sessionId] = nil
        case PartyMemberJoined.eventType:
            guard let joined = try? event.decode(PartyMemberJoined.self), joined.member.accountId == accountId else { return }
            invitations[joined.sessionId] = nil
        case RecordStarted.eventType:
            guard let started = try? event.decode(RecordStarted.self) else { return }
            recordings[started.id] = started
        case RecordSaved.eventType, RecordFailed.eventType:
            guard let ref = try? event.decode(RecordingReference.self), let id = ref.id else { return }
            recordings[id] = nil
        case EngineStarted.eventType:
            // A new run: nothing records yet (a recording a crash left open is closed and reported by the recorder).
            recordings = [:]
        default:
            break
        }
    }

    private struct RecordingReference: Decodable { var id: String? }

    private struct SessionReference: Decodable { var sessionId: String }
}
