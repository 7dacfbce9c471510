// Typed payloads of the `party.*` events (docs/events.md "Parties"), in the plugin API so that any plugin — built
// in, a `.so`, or a test — decodes them the way the PSN module writes them: `try event.decode(PartyMemberJoined.self)`.
// The member and party objects are psn-protocol.md B.0's "Member" and "PartySession" objects.

/// A member as sessionManager and push describe it (B.0 "Member object"); unknown fields are ignored and optional
/// ones may be missing.
public struct PartyMember: Sendable, Codable, Equatable {
    /// Account id (decimal string).
    public var accountId: String
    /// Online id.
    public var onlineId: String?
    /// `MOBILE_APP`, `PS5`, `PS4`, `PSPC`.
    public var platform: String?
    /// Server-assigned device id.
    public var deviceUniqueId: String?
    /// 1 for the creator, then 2, 3 …
    public var joinOrder: Int?
    /// Epoch ms.
    public var joinTimestamp: Int64?
    /// Whether voice chat is on.
    public var voiceChatActivated: Bool?
    /// Opaque base64 attributes.
    public var customData3: String?
    /// Opaque base64 attributes.
    public var customData4: String?

    /// Makes a member (tests, projections, plugins' own tests).
    public init(
        accountId: String, onlineId: String? = nil, platform: String? = nil, joinOrder: Int? = nil,
        deviceUniqueId: String? = nil, joinTimestamp: Int64? = nil, voiceChatActivated: Bool? = nil,
        customData3: String? = nil, customData4: String? = nil
    ) {
        self.accountId = accountId
        self.onlineId = onlineId
        self.platform = platform
        self.joinOrder = joinOrder
        self.deviceUniqueId = deviceUniqueId
        self.joinTimestamp = joinTimestamp
        self.voiceChatActivated = voiceChatActivated
        self.customData3 = customData3
        self.customData4 = customData4
    }
}

/// A party session (B.0 "PartySession object", B.1 bulkGet items).
public struct PartySession: Sendable, Codable, Equatable {
    /// The session id.
    public var sessionId: String
    /// The name ("" when unnamed).
    public var sessionName: String?
    /// `INVITE_ONLY`, `FRIENDS_ONLY` …
    public var visibilityType: String?
    /// `INVITE_ONLY`, `FRIENDS` …
    public var joinableUserType: String?
    /// Capacity.
    public var maxMembers: Int?
    /// The owner, when given.
    public var owner: PartyMember?
    /// Members, when given.
    public var members: [PartyMember]?
    /// Makes the payload.
    public init(
        sessionId: String, sessionName: String? = nil, visibilityType: String? = nil, joinableUserType: String? = nil, maxMembers: Int? = nil, owner: PartyMember? = nil, members: [PartyMember]? = nil
    ) {
        self.sessionId = sessionId
        self.sessionName = sessionName
        self.visibilityType = visibilityType
        self.joinableUserType = joinableUserType
        self.maxMembers = maxMembers
        self.owner = owner
        self.members = members
    }
}

/// `party.created`: we created a party (REST 201).
public struct PartyCreated: EventPayload, Equatable {
    public static let eventType = "party.created"
    /// The new session id.
    public var sessionId: String
    /// Its name.
    public var sessionName: String
    /// Capacity.
    public var maxMembers: Int
    /// Makes the payload.
    public init(sessionId: String, sessionName: String, maxMembers: Int) {
        self.sessionId = sessionId
        self.sessionName = sessionName
        self.maxMembers = maxMembers
    }
}

/// `party.joined`: we joined a party (REST 201 on POST members).
public struct PartyJoined: EventPayload, Equatable {
    public static let eventType = "party.joined"
    /// The session id.
    public var sessionId: String
    /// Makes the payload.
    public init(sessionId: String) {
        self.sessionId = sessionId
    }
}

/// `party.left`: we left a party (REST 204 on DELETE members/me).
public struct PartyLeft: EventPayload, Equatable {
    public static let eventType = "party.left"
    /// The session id.
    public var sessionId: String
    /// Makes the payload.
    public init(sessionId: String) {
        self.sessionId = sessionId
    }
}

/// `party.snapshot`: the party's whole state as read from sessionManager (after a reconnect, `parties show`, …).
/// The projection replaces what it knew of the party with this.
public struct PartySnapshot: EventPayload, Equatable {
    public static let eventType = "party.snapshot"
    /// The party as read.
    public var party: PartySession
    /// Makes the payload.
    public init(party: PartySession) {
        self.party = party
    }
}

/// `party.member_joined`: a member (maybe us) appeared in a party (push `members:created`).
public struct PartyMemberJoined: EventPayload, Equatable {
    public static let eventType = "party.member_joined"
    /// The session id.
    public var sessionId: String
    /// The member.
    public var member: PartyMember
    /// Makes the payload.
    public init(sessionId: String, member: PartyMember) {
        self.sessionId = sessionId
        self.member = member
    }
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
    /// Makes the payload.
    public init(sessionId: String, accountId: String, onlineId: String? = nil) {
        self.sessionId = sessionId
        self.accountId = accountId
        self.onlineId = onlineId
    }
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
    /// Makes the payload.
    public init(sessionId: String, accountId: String, field: String, value: String) {
        self.sessionId = sessionId
        self.accountId = accountId
        self.field = field
        self.value = value
    }
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
    /// Makes the payload.
    public init(sessionId: String, field: String, value: String) {
        self.sessionId = sessionId
        self.field = field
        self.value = value
    }
}

/// `party.owner_changed`: push `owner:updated`.
public struct PartyOwnerChanged: EventPayload, Equatable {
    public static let eventType = "party.owner_changed"
    /// The session id.
    public var sessionId: String
    /// The new owner.
    public var owner: PartyMember
    /// Makes the payload.
    public init(sessionId: String, owner: PartyMember) {
        self.sessionId = sessionId
        self.owner = owner
    }
}

/// `party.deleted`: the party no longer exists (push `outside:v2:partySession:deleted`).
public struct PartyDeleted: EventPayload, Equatable {
    public static let eventType = "party.deleted"
    /// The session id.
    public var sessionId: String
    /// `deletedEvenCause` as sent (e.g. `LAST_MEMBER_LEFT`).
    public var cause: String?
    /// Makes the payload.
    public init(sessionId: String, cause: String? = nil) {
        self.sessionId = sessionId
        self.cause = cause
    }
}

/// `party.invitation_sent`: we invited accounts (REST 201).
public struct PartyInvitationSent: EventPayload, Equatable {
    public static let eventType = "party.invitation_sent"
    /// The session id.
    public var sessionId: String
    /// Invited account ids.
    public var accountIds: [String]
    /// Makes the payload.
    public init(sessionId: String, accountIds: [String]) {
        self.sessionId = sessionId
        self.accountIds = accountIds
    }
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
