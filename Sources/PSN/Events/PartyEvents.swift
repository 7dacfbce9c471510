public import PartyBusCore

/// `party.created`: we created a party (REST 201).
public struct PartyCreated: EventPayload, Equatable {
    public static let eventType = "party.created"
    /// The new session id.
    public var sessionId: String
    /// Its name.
    public var sessionName: String
    /// Capacity.
    public var maxMembers: Int
}

/// `party.joined`: we joined a party (REST 201 on POST members).
public struct PartyJoined: EventPayload, Equatable {
    public static let eventType = "party.joined"
    /// The session id.
    public var sessionId: String
}

/// `party.left`: we left a party (REST 204 on DELETE members/me).
public struct PartyLeft: EventPayload, Equatable {
    public static let eventType = "party.left"
    /// The session id.
    public var sessionId: String
}

/// `party.snapshot`: the party's whole state as read from sessionManager (after a reconnect, `parties show`, …).
/// The projection replaces what it knew of the party with this.
public struct PartySnapshot: EventPayload, Equatable {
    public static let eventType = "party.snapshot"
    /// The party as read.
    public var party: PartySession
}

/// `party.member_joined`: a member (maybe us) appeared in a party (push `members:created`).
public struct PartyMemberJoined: EventPayload, Equatable {
    public static let eventType = "party.member_joined"
    /// The session id.
    public var sessionId: String
    /// The member.
    public var member: PartyMember
}

/// `party.member_left`: a member left (push `members:deleted`).
public struct PartyMemberLeft: EventPayload, Equatable {
    public static let eventType = "party.member_left"
    /// The session id.
    public var sessionId: String
    /// The member's account id.
    public var accountId: String
    /// Online id, when known.
    public var onlineId: String?
}

/// `party.member_updated`: a member's customData3/4 changed (push `m:customDataN:updated`).
public struct PartyMemberUpdated: EventPayload, Equatable {
    public static let eventType = "party.member_updated"
    /// The session id.
    public var sessionId: String
    /// The member's account id.
    public var accountId: String
    /// `customData3` or `customData4`.
    public var field: String
    /// The new value (opaque base64).
    public var value: String
}

/// `party.updated`: a party attribute changed (push `sessionName:updated`, `maxMembers:updated` …).
public struct PartyUpdated: EventPayload, Equatable {
    public static let eventType = "party.updated"
    /// The session id.
    public var sessionId: String
    /// `sessionName`, `visibilityType`, `joinableUserType`, `maxMembers`.
    public var field: String
    /// The new value as text.
    public var value: String
}

/// `party.owner_changed`: push `owner:updated`.
public struct PartyOwnerChanged: EventPayload, Equatable {
    public static let eventType = "party.owner_changed"
    /// The session id.
    public var sessionId: String
    /// The new owner.
    public var owner: PartyMember
}

/// `party.deleted`: the party no longer exists (push `outside:v2:partySession:deleted`).
public struct PartyDeleted: EventPayload, Equatable {
    public static let eventType = "party.deleted"
    /// The session id.
    public var sessionId: String
    /// `deletedEvenCause` as sent (e.g. `LAST_MEMBER_LEFT`).
    public var cause: String?
}

/// `party.invitation_sent`: we invited accounts (REST 201).
public struct PartyInvitationSent: EventPayload, Equatable {
    public static let eventType = "party.invitation_sent"
    /// The session id.
    public var sessionId: String
    /// Invited account ids.
    public var accountIds: [String]
}

/// `party.custom_message`: a `customMessage` arrived for us (push `customMessage:noSeq:created` / `:created`).
public struct PartyCustomMessage: EventPayload, Equatable {
    public static let eventType = "party.custom_message"
    /// The session id.
    public var sessionId: String
    /// The channel (`miranda:12`).
    public var channel: String
    /// The payload string, byte for byte.
    public var payload: String
    /// The sender's account id.
    public var fromAccountId: String?
    /// The sender's platform.
    public var fromPlatform: String?

    /// Makes the event (the push translator does; tests and replays may too).
    public init(sessionId: String, channel: String, payload: String, fromAccountId: String?, fromPlatform: String?) {
        self.sessionId = sessionId
        self.channel = channel
        self.payload = payload
        self.fromAccountId = fromAccountId
        self.fromPlatform = fromPlatform
    }
}

/// `party.invitation_received`: an invitation to a party arrived over push (`…:v2:ps:invitations:created`, a
/// simulator-only name until a capture shows the real one — psn-protocol.md B.7). Accept it by joining.
public struct PartyInvitationReceived: EventPayload, Equatable {
    public static let eventType = "party.invitation_received"
    /// The party.
    public var sessionId: String
    /// Its name, when the frame carries it.
    public var sessionName: String?
    /// Who invited, when the frame says.
    public var from: PartyMember?

    /// Makes the event.
    public init(sessionId: String, sessionName: String?, from: PartyMember?) {
        self.sessionId = sessionId
        self.sessionName = sessionName
        self.from = from
    }
}
