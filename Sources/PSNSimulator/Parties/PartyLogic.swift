/// The sessionManager state machine (psn-protocol.md B, H items 5–7 and 9).
extension CoreState {
    // MARK: Body parsing helpers

    static func requireObject(_ body: JSONValue?, field: String = "null") throws(APIError) -> JSONObject {
        guard let object = body?.objectValue else { throw .body(field) }
        return object
    }

    static func optionalString(_ object: JSONObject, _ key: String) throws(APIError) -> String? {
        guard let value = object[key] else { return nil }
        guard let s = value.stringValue else { throw .body(key) }
        return s
    }

    static func optionalBase64(_ object: JSONObject, _ key: String) throws(APIError) -> String? {
        guard let s = try optionalString(object, key) else { return nil }
        guard Encoding.isValidBase64(s) else { throw .body(key) }
        return s
    }

    static func optionalBool(_ object: JSONObject, _ key: String) throws(APIError) -> Bool? {
        guard let value = object[key] else { return nil }
        guard let b = value.boolValue else { throw .body(key) }
        return b
    }

    struct MemberRequest {
        var customData3: String?
        var customData4: String?
        var voiceChatActivated: Bool
        var pushContextIds: [String]
    }

    /// Parses `members: [ { accountId: "me", platform: "me", … } ]` (exactly one element, the caller).
    static func parseMemberRequest(_ object: JSONObject, caller: SimulatedAccount) throws(APIError) -> MemberRequest {
        guard let members = object["members"]?.arrayValue, members.count == 1, let m = members[0].objectValue else {
            throw .body("members")
        }
        guard let accountId = m["accountId"]?.stringValue, accountId == "me" || accountId == caller.accountId else {
            throw .body("accountId")
        }
        if let platform = m["platform"] {
            guard let p = platform.stringValue, p == "me" || p == caller.platform else { throw .body("platform") }
        }
        var contexts: [String] = []
        if let pushContexts = m["pushContexts"] {
            guard let array = pushContexts.arrayValue else { throw .body("pushContexts") }
            for item in array {
                guard let id = item["contextId"]?.stringValue else { throw .body("contextId") }
                contexts.append(id)
            }
        }
        return MemberRequest(
            customData3: try optionalBase64(m, "customData3"),
            customData4: try optionalBase64(m, "customData4"),
            voiceChatActivated: try optionalBool(m, "voiceChatActivated") ?? true,
            pushContextIds: contexts)
    }

    func party(_ sessionId: String) throws(APIError) -> Party {
        guard let party = parties[sessionId] else { throw .notFound }
        return party
    }

    static func customProperties(from member: PartyMember) -> JSONValue {
        .object(["from": member.reference])
    }

    /// `me` or the caller's own account id; anything else is someone else's membership.
    static func isSelf(_ memberId: String, _ caller: SimulatedAccount) -> Bool {
        memberId == "me" || memberId == caller.accountId || memberId == "me.\(caller.platform)"
            || memberId == "\(caller.accountId).\(caller.platform)"
    }

    // MARK: Operations

    /// `POST /sessionManager/v2/partySessions` (B.3). Returns the new session id.
    mutating func createParty(caller: SimulatedAccount, body: JSONValue?) throws(APIError) -> String {
        let root = try Self.requireObject(body)
        guard let sessions = root["v2PartySessions"]?.arrayValue, sessions.count == 1,
            let spec = sessions[0].objectValue
        else { throw .body("v2PartySessions") }
        var maxMembers = 16
        if let value = spec["maxMembers"] {
            guard let n = value.intValue, (1...100).contains(n) else { throw .body("maxMembers") }
            maxMembers = n
        }
        let request = try Self.parseMemberRequest(spec, caller: caller)
        let sessionName = try Self.optionalString(spec, "sessionName") ?? ""
        let sessionType = try Self.optionalString(spec, "sessionType") ?? "ROOM"
        let visibility = try Self.optionalString(spec, "visibilityType") ?? "INVITE_ONLY"
        let joinable = try Self.optionalString(spec, "joinableUserType") ?? "INVITE_ONLY"

        let now = nowMs
        let sessionId = ids.uuid()
        let linkId = ids.linkId()
        let member = PartyMember(
            accountId: caller.accountId, onlineId: caller.onlineId, platform: caller.platform,
            deviceUniqueId: caller.deviceUniqueId ?? "", joinOrder: 1, joinTimestamp: now,
            voiceChatActivated: request.voiceChatActivated, customData3: request.customData3,
            customData4: request.customData4, pushContextIds: request.pushContextIds)
        creationCounter += 1
        let party = Party(
            sessionId: sessionId, sessionName: sessionName, sessionType: sessionType, visibilityType: visibility,
            joinableUserType: joinable, maxMembers: maxMembers, createdTimestamp: now,
            creationSequence: creationCounter, ownerAccountId: caller.accountId, members: [member], nextJoinOrder: 2,
            linkId: linkId, formerMemberIds: [caller.accountId])
        parties[sessionId] = party
        linkIndex[linkId] = sessionId
        latestSessionId = sessionId

        let membersCreated: JSONValue = .object([
            "customProperties": Self.customProperties(from: member),
            "members": .array([member.full]),
            "sessionId": .string(sessionId),
        ])
        let partyCreated: JSONValue = .object([
            "customProperties": Self.customProperties(from: member),
            "sessionId": .string(sessionId),
        ])
        if faults.reorderCreateEvents {
            emit(PushDataType.partySessionCreated, data: partyCreated, to: [caller.accountId])
            emit(PushDataType.membersCreated, data: membersCreated, to: [caller.accountId])
        } else {
            emit(PushDataType.membersCreated, data: membersCreated, to: [caller.accountId])
            emit(PushDataType.partySessionCreated, data: partyCreated, to: [caller.accountId])
        }
        return sessionId
    }

    /// `PATCH /sessionManager/v2/partySessions/{id}` (B.4).
    mutating func patchParty(caller: SimulatedAccount, sessionId: String, body: JSONValue?) throws(APIError) {
        var party = try party(sessionId)
        guard let actor = party.member(caller.accountId) else { throw .onlyMembers }
        let object = try Self.requireObject(body)
        let sessionName = try Self.optionalString(object, "sessionName")
        let visibility = try Self.optionalString(object, "visibilityType")
        let joinable = try Self.optionalString(object, "joinableUserType")
        var maxMembers: Int?
        if let value = object["maxMembers"] {
            guard let n = value.intValue, (1...100).contains(n), n >= party.members.count else {
                throw .body("maxMembers")
            }
            maxMembers = n
        }
        var changes: [(String, JSONValue)] = []
        if let sessionName { party.sessionName = sessionName; changes.append(("sessionName", .string(sessionName))) }
        if let visibility { party.visibilityType = visibility; changes.append(("visibilityType", .string(visibility))) }
        if let joinable { party.joinableUserType = joinable; changes.append(("joinableUserType", .string(joinable))) }
        if let maxMembers { party.maxMembers = maxMembers; changes.append(("maxMembers", .int(maxMembers))) }
        parties[sessionId] = party
        let memberIds = party.members.map(\.accountId)
        let outsiders = party.invitations.map(\.toAccountId).filter { !party.isMember($0) }
        for (field, value) in changes {
            let entries: [(String, JSONValue)] = [
                ("customProperties", Self.customProperties(from: actor)), ("sessionId", .string(sessionId)),
                (field, value),
            ].sorted { $0.0 < $1.0 }
            let data = JSONValue.object(JSONObject(entries))
            emit(PushDataType.partyFieldUpdated(field), data: data, to: memberIds)
            if field == "visibilityType" || field == "joinableUserType", !outsiders.isEmpty {
                emit(PushDataType.outsidePartyFieldUpdated(field), data: data, to: outsiders)
            }
        }
    }

    /// `POST /sessionManager/v2/partySessions/{id}/members` (B.5 step 1).
    mutating func joinParty(caller: SimulatedAccount, sessionId: String, body: JSONValue?,
                            ignoreAccessControl: Bool = false) throws(APIError) {
        var party = try party(sessionId)
        let request: MemberRequest
        if let body {
            request = try Self.parseMemberRequest(try Self.requireObject(body), caller: caller)
        } else {
            request = MemberRequest(voiceChatActivated: true, pushContextIds: [])
        }
        if party.isMember(caller.accountId) { return }
        if party.joinableUserType == "INVITE_ONLY", !party.isInvited(caller.accountId), !faults.allowUninvitedJoin,
            !ignoreAccessControl
        {
            throw .accessControl
        }
        guard party.members.count < party.maxMembers else { throw .upperLimit }
        let member = PartyMember(
            accountId: caller.accountId, onlineId: caller.onlineId, platform: caller.platform,
            deviceUniqueId: caller.deviceUniqueId ?? "", joinOrder: party.nextJoinOrder, joinTimestamp: nowMs,
            voiceChatActivated: request.voiceChatActivated, customData3: request.customData3,
            customData4: request.customData4, pushContextIds: request.pushContextIds)
        party.nextJoinOrder += 1
        party.members.append(member)
        party.invitations.removeAll { $0.toAccountId == caller.accountId }
        if !party.formerMemberIds.contains(caller.accountId) { party.formerMemberIds.append(caller.accountId) }
        parties[sessionId] = party
        emit(
            PushDataType.membersCreated,
            data: .object([
                "customProperties": Self.customProperties(from: member),
                "members": .array([member.full]),
                "sessionId": .string(sessionId),
            ]), to: party.members.map(\.accountId))
        reportMedia(.memberJoined(sessionId: sessionId, joiner: mediaMember(member),
                                  existing: party.members.dropLast().map(mediaMember)))
    }

    /// `PATCH /sessionManager/v2/partySessions/{id}/members/me` (B.5 step 2).
    mutating func patchMember(caller: SimulatedAccount, sessionId: String, memberId: String,
                              body: JSONValue?) throws(APIError) {
        var party = try party(sessionId)
        guard Self.isSelf(memberId, caller) else { throw .accessControl }
        guard let index = party.members.firstIndex(where: { $0.accountId == caller.accountId }) else {
            throw .onlyMembers
        }
        let object = try Self.requireObject(body)
        let customData3 = try Self.optionalBase64(object, "customData3")
        let customData4 = try Self.optionalBase64(object, "customData4")
        let voice = try Self.optionalBool(object, "voiceChatActivated")
        if let customData3 { party.members[index].customData3 = customData3 }
        if let customData4 { party.members[index].customData4 = customData4 }
        if let voice { party.members[index].voiceChatActivated = voice }
        parties[sessionId] = party
        let member = party.members[index]
        let recipients = party.members.map(\.accountId)
        for (field, value) in [("customData3", customData3), ("customData4", customData4)] {
            guard let value else { continue }
            emit(
                PushDataType.memberFieldUpdated(field),
                data: .object([
                    "customProperties": Self.customProperties(from: member),
                    "members": .array([member.customDataUpdate(field: field, value: value)]),
                    "sessionId": .string(sessionId),
                ]), to: recipients)
        }
    }

    /// `DELETE /sessionManager/v2/partySessions/{id}/members/me` (B.6).
    mutating func leaveParty(caller: SimulatedAccount, sessionId: String, memberId: String) throws(APIError) {
        let party = try party(sessionId)
        guard Self.isSelf(memberId, caller) else { throw .accessControl }
        guard party.isMember(caller.accountId) else { throw .notFound }
        removeMember(accountId: caller.accountId, from: sessionId)
    }

    /// Removes a member with the usual events; deletes the party when it empties. The member's bridges linked to
    /// the party (and their peers) are deleted too, without events (G, last note).
    mutating func removeMember(accountId: String, from sessionId: String) {
        guard var party = parties[sessionId], let leaver = party.member(accountId) else { return }
        removeBridges(ownedBy: accountId, linkedTo: sessionId)
        party.members.removeAll { $0.accountId == accountId }
        reportMedia(.memberLeft(sessionId: sessionId, member: mediaMember(leaver),
                                remaining: party.members.map(mediaMember)))
        if party.members.isEmpty {
            parties[sessionId] = nil
            linkIndex[party.linkId] = nil
            if latestSessionId == sessionId { latestSessionId = nil }
            emit(
                PushDataType.partySessionDeletedOutside,
                data: .object([
                    "customProperties": .object([
                        "deletedEvenCause": .string("LAST_MEMBER_LEFT"), "from": leaver.reference,
                    ]),
                    "sessionId": .string(sessionId),
                ]), to: party.formerMemberIds)
            return
        }
        let ownerLeft = party.ownerAccountId == accountId
        if ownerLeft, let next = party.members.min(by: { $0.joinOrder < $1.joinOrder }) {
            party.ownerAccountId = next.accountId
        }
        parties[sessionId] = party
        let remaining = party.members.map(\.accountId)
        emit(
            PushDataType.membersDeleted,
            data: .object([
                "customProperties": Self.customProperties(from: leaver),
                "members": .array([leaver.reference]),
                "sessionId": .string(sessionId),
            ]), to: remaining)
        if ownerLeft, let owner = party.owner {
            emit(
                PushDataType.ownerUpdated,
                data: .object([
                    "customProperties": Self.customProperties(from: leaver),
                    "owner": .object([
                        "accountId": .string(owner.accountId), "onlineId": .string(owner.onlineId),
                        "platform": .string(owner.platform),
                    ]),
                    "sessionId": .string(sessionId),
                ]), to: remaining)
        }
    }

    /// `POST /sessionManager/v2/partySessions/{id}/invitations` (B.7).
    mutating func invite(caller: SimulatedAccount, sessionId: String, body: JSONValue?) throws(APIError) {
        var party = try party(sessionId)
        guard let actor = party.member(caller.accountId) else { throw .onlyMembers }
        let object = try Self.requireObject(body)
        let invitationType = try Self.optionalString(object, "invitationType") ?? "NORMAL"
        guard let items = object["invitations"]?.arrayValue else { throw .body("invitations") }
        if let groups = object["invitationsToGroups"], groups.arrayValue == nil { throw .body("invitationsToGroups") }
        var invitees: [String] = []
        for item in items {
            guard let to = item["to"]?.objectValue else { throw .body("to") }
            guard let accountId = to["accountId"]?.stringValue, Encoding.isAccountIdDigits(accountId) else {
                throw .body("accountId")
            }
            invitees.append(accountId)
        }
        guard !invitees.isEmpty || !(object["invitationsToGroups"]?.arrayValue ?? []).isEmpty else {
            throw .body("invitations")
        }
        let now = nowMs
        for invitee in invitees where !party.isMember(invitee) {
            party.invitations.removeAll { $0.toAccountId == invitee }
            party.invitations.append(
                PartyInvitation(
                    toAccountId: invitee, fromAccountId: actor.accountId, fromOnlineId: actor.onlineId,
                    fromPlatform: actor.platform, invitationType: invitationType, createdTimestamp: now))
        }
        parties[sessionId] = party
        if faults.emitInvitationPush {
            emit(
                PushDataType.invitationsCreated,
                data: .object([
                    "customProperties": Self.customProperties(from: actor),
                    "invitationType": .string(invitationType),
                    "sessionId": .string(sessionId),
                ]), to: invitees.filter { !party.isMember($0) })
        }
    }

    /// `GET /sessionManager/v2/users/me/partySessionsInvitations` (B.7 simulator default).
    func invitationList(caller: SimulatedAccount) -> JSONValue {
        var items: [JSONValue] = []
        for party in parties.values.sorted(by: { $0.creationSequence > $1.creationSequence }) {
            for invitation in party.invitations where invitation.toAccountId == caller.accountId {
                items.append(
                    .object([
                        "sessionId": .string(party.sessionId),
                        "sessionName": .string(party.sessionName),
                        "invitationType": .string(invitation.invitationType),
                        "from": .object([
                            "accountId": .string(invitation.fromAccountId),
                            "onlineId": .string(invitation.fromOnlineId),
                            "platform": .string(invitation.fromPlatform),
                        ]),
                        "createdTimestamp": .string(String(invitation.createdTimestamp)),
                    ]))
            }
        }
        return .object(["invitations": .array(items)])
    }

    /// `POST /sessionManager/v2/sys/gameBase/parties/bulkGet?limit=N` (B.1 + U5).
    func bulkGet(caller: SimulatedAccount, limit: Int, body: JSONValue?) throws(APIError) -> JSONValue {
        var listed: [String] = []
        if let body, body != .null {
            let object = try Self.requireObject(body)
            if let value = object["groupInvitedPartySessions"] {
                guard let array = value.arrayValue else { throw .body("groupInvitedPartySessions") }
                for item in array {
                    guard let id = item.stringValue else { throw .body("groupInvitedPartySessions") }
                    listed.append(id)
                }
            }
        }
        let visible = parties.values.filter { party in
            party.isMember(caller.accountId) || (listed.contains(party.sessionId) && party.isInvited(caller.accountId))
        }
        .sorted { $0.creationSequence > $1.creationSequence }
        .prefix(limit)
        return .object([
            "parties": .array(
                visible.map { party in
                    let canJoin =
                        !party.isMember(caller.accountId) && party.members.count < party.maxMembers
                        && (party.joinableUserType != "INVITE_ONLY" || faults.allowUninvitedJoin
                            || party.isInvited(caller.accountId))
                    return party.bulkGetItem(joinable: canJoin)
                })
        ])
    }

    /// `GET /sessionManager/v2/partySessions?view=v3` with `X-PSN-SESSION-MANAGER-SESSION-IDS` (B.2 / U4).
    func partySessions(caller: SimulatedAccount, ids requested: [String]) -> JSONValue {
        var seen = Set<String>()
        var out: [JSONValue] = []
        for id in requested where seen.insert(id).inserted {
            guard let party = parties[id], party.isMember(caller.accountId) || party.isInvited(caller.accountId)
            else { continue }
            out.append(sessionObject(party))
        }
        return .object(["partySessions": .array(out)])
    }

    /// `GET /api/cpss/v1/partyInfo/{linkId}` (B.8).
    func partyInfo(linkId: String, viewer: String?) throws(APIError) -> JSONValue {
        guard let sessionId = linkIndex[linkId], let party = parties[sessionId] else { throw .notFound }
        let isMember = viewer.map { party.isMember($0) } ?? false
        return party.partyInfo(
            revealed: isMember, inParty: isMember,
            shareImageURL: "\(configuration.scheme)://\(configuration.host):\(boundPort)/sim/share/\(linkId).png")
    }

    /// `POST /sessionManager/v2/partySessions/{id}/customMessage` (B.10). The payload is validated per D.7 (rules
    /// 1–4 in `MirandaValidation`, rule 5 here: non-member caller → `404`, non-member recipient → `400`); every
    /// payload failure is `400 Bad Request (body: null)` with the failed rule in `reason` / `details`. Valid
    /// payloads are relayed unchanged.
    mutating func customMessage(caller: SimulatedAccount, sessionId: String, body: JSONValue?) throws(APIError) {
        let party = try party(sessionId)
        guard let actor = party.member(caller.accountId) else { throw .notFound }
        if faults.rejectCustomMessage { throw .body("null") }
        let object = try Self.requireObject(body)
        guard let channel = object["channel"]?.stringValue, !channel.isEmpty else { throw .body("channel") }
        guard let payload = object["payload"]?.stringValue else { throw .body("payload") }
        do {
            try MirandaValidation.validate(
                payload: payload, callerAccountId: caller.accountId, callerPlatform: caller.platform,
                strictIdentity: faults.strictMirandaIdentity)
        } catch {
            throw error.apiError
        }
        let withoutSequenceNumber = try Self.optionalBool(object, "withoutSequenceNumber") ?? false
        var recipients: [String]
        if let to = object["to"], to != .null {
            guard let array = to.arrayValue else { throw .body("to") }
            recipients = []
            for entry in array {
                guard let accountId = entry["accountId"]?.stringValue else { throw .body("accountId") }
                if let platform = entry["platform"], platform.stringValue == nil { throw .body("platform") }
                guard party.isMember(accountId) else {
                    throw MirandaRuleViolation(rule: 5, check: "recipient",
                                               failure: "recipient \(accountId) is not a member of the party").apiError
                }
                recipients.append(accountId)
            }
        } else {
            recipients = party.members.map(\.accountId).filter { $0 != caller.accountId }
        }
        emit(
            withoutSequenceNumber ? PushDataType.customMessageNoSeq : PushDataType.customMessage,
            data: .object([
                "customMessage": .object(["channel": .string(channel), "payload": .string(payload)]),
                "customProperties": Self.customProperties(from: actor),
                "sessionId": .string(sessionId),
            ]), to: recipients)
        reportMedia(.customMessage(sessionId: sessionId, sender: mediaMember(actor),
                                   recipients: recipients.compactMap { party.member($0) }.map(mediaMember),
                                   channel: channel, payload: payload))
    }
}
