/// A member of a party session (psn-protocol.md B.0 "Member object").
struct PartyMember: Sendable, Equatable {
    var accountId: String
    var onlineId: String
    var platform: String
    var deviceUniqueId: String
    var joinOrder: Int
    var joinTimestamp: Int64
    var voiceChatActivated: Bool
    var isOnShareScreen: Bool = false
    var customData3: String?
    var customData4: String?
    var pushContextIds: [String] = []

    /// `{accountId, deviceUniqueId, joinOrder, onlineId, platform}` — the `customProperties.from` shape (E.5).
    var reference: JSONValue {
        .object([
            "accountId": .string(accountId),
            "deviceUniqueId": .string(deviceUniqueId),
            "joinOrder": .int(joinOrder),
            "onlineId": .string(onlineId),
            "platform": .string(platform),
        ])
    }

    /// Full member object as in `ps:members:created` (E.7) and the PartySession object (B.0).
    var full: JSONValue {
        var o = JSONObject()
        o["accountId"] = .string(accountId)
        if let customData3 { o["customData3"] = .string(customData3) }
        if let customData4 { o["customData4"] = .string(customData4) }
        o["deviceUniqueId"] = .string(deviceUniqueId)
        o["isOnShareScreen"] = .bool(isOnShareScreen)
        o["joinOrder"] = .int(joinOrder)
        o["joinTimestamp"] = .int64(joinTimestamp)
        o["onlineId"] = .string(onlineId)
        o["platform"] = .string(platform)
        o["voiceChatActivated"] = .bool(voiceChatActivated)
        return .object(o)
    }

    /// Member object of `ps:m:customDataN:updated` (E.6): `{accountId, customDataN, deviceUniqueId, joinOrder,
    /// onlineId, platform}`.
    func customDataUpdate(field: String, value: String) -> JSONValue {
        .object([
            "accountId": .string(accountId),
            field: .string(value),
            "deviceUniqueId": .string(deviceUniqueId),
            "joinOrder": .int(joinOrder),
            "onlineId": .string(onlineId),
            "platform": .string(platform),
        ])
    }
}

/// A pending invitation (B.7 simulator default).
struct PartyInvitation: Sendable, Equatable {
    var toAccountId: String
    var fromAccountId: String
    var fromOnlineId: String
    var fromPlatform: String
    var invitationType: String
    var createdTimestamp: Int64
}

/// A party session and its simulator bookkeeping.
struct Party: Sendable {
    var sessionId: String
    var sessionName: String
    var sessionType: String
    var visibilityType: String
    var joinableUserType: String
    var maxMembers: Int
    var createdTimestamp: Int64
    var creationSequence: Int
    var ownerAccountId: String
    var members: [PartyMember]
    var nextJoinOrder: Int
    var linkId: String
    var invitations: [PartyInvitation] = []
    /// Everyone who was ever a member (for `outside:v2:partySession:deleted`).
    var formerMemberIds: [String] = []

    func member(_ accountId: String) -> PartyMember? { members.first { $0.accountId == accountId } }
    func isMember(_ accountId: String) -> Bool { members.contains { $0.accountId == accountId } }
    func isInvited(_ accountId: String) -> Bool { invitations.contains { $0.toAccountId == accountId } }

    var owner: PartyMember? { member(ownerAccountId) }

    /// The PartySession object exactly as psn-protocol.md B.0.
    var sessionObject: JSONValue {
        var o = JSONObject()
        o["sessionId"] = .string(sessionId)
        o["sessionName"] = .string(sessionName)
        o["sessionType"] = .string(sessionType)
        o["visibilityType"] = .string(visibilityType)
        o["joinableUserType"] = .string(joinableUserType)
        o["maxMembers"] = .int(maxMembers)
        o["createdTimestamp"] = .string(String(createdTimestamp))
        if let owner {
            o["owner"] = .object([
                "accountId": .string(owner.accountId), "onlineId": .string(owner.onlineId),
                "platform": .string(owner.platform),
            ])
        }
        o["members"] = .array(members.map(\.full))
        o["bridges"] = .array([])
        return .object(o)
    }

    /// The bulkGet item (B.1).
    func bulkGetItem(joinable: Bool) -> JSONValue {
        var o = JSONObject()
        o["sessionId"] = .string(sessionId)
        o["sessionName"] = .string(sessionName)
        o["maxMembers"] = .int(maxMembers)
        o["visibilityType"] = .string(visibilityType)
        o["joinableUserType"] = .string(joinableUserType)
        o["partyJoinable"] = .bool(joinable)
        o["partyRequestToJoinable"] = .bool(true)
        if let owner {
            o["owner"] = .object(["accountId": .string(owner.accountId), "onlineId": .string(owner.onlineId)])
        }
        o["members"] = .array(
            members.map {
                .object([
                    "accountId": .string($0.accountId), "onlineId": .string($0.onlineId),
                    "platform": .string($0.platform),
                ])
            })
        return .object(o)
    }

    /// partyInfo by link id (B.8); anonymised unless `revealed`.
    func partyInfo(revealed: Bool, inParty: Bool, shareImageURL: String) -> JSONValue {
        var o = JSONObject()
        o["sessionName"] = .string(sessionName)
        o["isJoinable"] = .bool(members.count < maxMembers)
        o["joinableFrom"] = .array([.string("PS4"), .string("PS5"), .string("MOBILE_APP")])
        o["msPollingInterval"] = .int(5000)
        o["maxMembers"] = .int(maxMembers)
        o["timeStarted"] = .int64(createdTimestamp)
        o["shareImageUrl"] = .string(shareImageURL)
        o["inParty"] = .bool(inParty)
        o["members"] = .array(
            members.map { m in
                .object([
                    "isHost": .bool(m.accountId == ownerAccountId),
                    "onlineId": .string(revealed ? m.onlineId : "_anonymous_user"),
                    "platformId": .string(m.platform),
                    "accountId": .string(revealed ? m.accountId : "0"),
                    "isAnonymous": .bool(!revealed),
                ])
            })
        o["sessionId"] = .string(sessionId)
        return .object(o)
    }
}
