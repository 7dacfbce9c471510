import Foundation
public import PartyBusCore

/// sessionManager parties (B.1–B.8): every call the way the official app makes it, every change recorded as a
/// `party.*` event.
public struct PartiesClient: Sendable {
    private let api: PSNAPIClient
    private let publish: EventPublisher
    private let source: EventSource
    /// The push client's frame ingests: a read recorded as `party.snapshot` is ordered with them.
    let ingests: IngestGate
    private static let base = "/sessionManager/v2"

    /// A client over the API client; events go to `publish`; `ingests` is the push client's gate (its own when
    /// there is no push client).
    public init(api: PSNAPIClient, publish: @escaping EventPublisher, source: EventSource = .live, ingests: IngestGate = IngestGate()) {
        self.api = api
        self.publish = publish
        self.source = source
        self.ingests = ingests
    }

    private func record<Payload: EventPayload>(_ payload: Payload, sessionId: String) async throws {
        try await publish(EventDraft(stream: "party/\(sessionId)", payload: payload, source: source))
    }

    /// B.1: my parties (and the invited ones named in `invited`).
    public func list(invited: [String] = [], limit: Int = 11) async throws -> [PartySession] {
        let body = try JSONSerialization.data(withJSONObject: ["groupInvitedPartySessions": invited])
        let response = try await api.call(
            .POST, "\(Self.base)/sys/gameBase/parties/bulkGet?limit=\(limit)", stack: .okhttp, json: body,
            endpoint: "bulkGet")
        let parties = try api.decode(BulkGetResponse.self, from: response, endpoint: "bulkGet").parties
        try checkAccountIds(parties, path: "parties", endpoint: "bulkGet") { $0.accountIdProblem(at: $1) }
        return parties
    }

    /// B.2: parties by id; each one found is recorded as `party.snapshot` — in order with push frames: when a frame
    /// was ingested while the read was in flight, the party is read again, since a snapshot older than the frame
    /// would undo it (seen: a member who joined during the read vanished, and voice never offered to them).
    public func get(_ sessionIds: [String]) async throws -> [PartySession] {
        try await ingests.readThenRecord {
            try await read(sessionIds)
        } record: { parties, _ in
            for party in parties { try await recordSnapshot(party) }
        }
    }

    /// Records a party as read (`party.snapshot`).
    func recordSnapshot(_ party: PartySession) async throws {
        try await record(PartySnapshot(party: party), sessionId: party.sessionId)
    }

    /// B.2 without recording anything.
    func read(_ sessionIds: [String]) async throws -> [PartySession] {
        let response = try await api.call(
            .GET, "\(Self.base)/partySessions?view=v3", stack: .core,
            extraHeaders: [("X-PSN-SESSION-MANAGER-SESSION-IDS", sessionIds.joined(separator: ","))],
            endpoint: "partySessions")
        let parties = try api.decode(PartySessionsResponse.self, from: response, endpoint: "partySessions").partySessions
        try checkAccountIds(parties, path: "partySessions", endpoint: "partySessions") { $0.accountIdProblem(at: $1) }
        return parties
    }

    /// Records that a party we knew is gone (it was not returned when re-read).
    func recordGone(_ sessionId: String) async throws {
        try await record(PartyDeleted(sessionId: sessionId, cause: "NOT_FOUND_ON_REREAD"), sessionId: sessionId)
    }

    /// B.3: creates a party with us as its only member; returns the session id.
    public func create(name: String = "", maxMembers: Int = 16) async throws -> String {
        let body: [String: Any] = [
            "v2PartySessions": [[
                "joinableUserType": "INVITE_ONLY", "maxMembers": maxMembers,
                "members": [Self.selfMember()], "sessionName": name, "sessionType": "ROOM",
                "visibilityType": "INVITE_ONLY",
            ]]
        ]
        let response = try await api.call(
            .POST, "\(Self.base)/partySessions", stack: .core, json: try Self.json(body),
            extraHeaders: [("X-PSN-SESSION-MANAGER-SET-PROFANITY-FILTER-LANGUAGE-CODE", api.settings.locale)],
            endpoint: "createParty")
        let created = try api.decode(CreateResponse.self, from: response, endpoint: "createParty")
        guard let sessionId = created.v2PartySessions.first?.sessionId else {
            throw PSNError.malformed(endpoint: "createParty", detail: "no v2PartySessions[0].sessionId")
        }
        try await record(PartyCreated(sessionId: sessionId, sessionName: name, maxMembers: maxMembers), sessionId: sessionId)
        return sessionId
    }

    /// B.5: joins (POST members, then PATCH members/me with customData4), then reads the party (B.2) so the
    /// projection knows the members who were there before us (push only announces the newcomer).
    public func join(_ sessionId: String) async throws {
        let path = "\(Self.base)/partySessions/\(try Self.checked(sessionId))"
        _ = try await api.call(
            .POST, "\(path)/members", stack: .core, json: try Self.json(["members": [Self.selfMember()]]),
            endpoint: "joinParty")
        try await record(PartyJoined(sessionId: sessionId), sessionId: sessionId)
        do {
            try await updateMe(sessionId, customData4: CustomData4.afterJoin)
        } catch {
            // We are a member all the same (the POST went through): read the party so the log shows who is in it,
            // then report the failed step.
            _ = try? await get([sessionId])
            throw error
        }
        _ = try await get([sessionId])
    }

    /// B.5 step 2: PATCH members/me with one field.
    public func updateMe(_ sessionId: String, customData3: String? = nil, customData4: String? = nil) async throws {
        var body: [String: Any] = [:]
        if let customData3 { body["customData3"] = customData3 }
        if let customData4 { body["customData4"] = customData4 }
        _ = try await api.call(
            .PATCH, "\(Self.base)/partySessions/\(try Self.checked(sessionId))/members/me", stack: .core,
            json: try Self.json(body), endpoint: "patchMember")
    }

    /// B.6: leaves.
    public func leave(_ sessionId: String) async throws {
        _ = try await api.call(
            .DELETE, "\(Self.base)/partySessions/\(try Self.checked(sessionId))/members/me", stack: .core, form: true,
            endpoint: "leaveParty")
        try await record(PartyLeft(sessionId: sessionId), sessionId: sessionId)
    }

    /// B.4: renames (or changes another attribute of) the party.
    public func update(_ sessionId: String, name: String) async throws {
        _ = try await api.call(
            .PATCH, "\(Self.base)/partySessions/\(try Self.checked(sessionId))", stack: .core,
            json: try Self.json(["sessionName": name]),
            extraHeaders: [("X-PSN-SESSION-MANAGER-SET-PROFANITY-FILTER-LANGUAGE-CODE", api.settings.locale)],
            endpoint: "patchParty")
    }

    /// B.7: invites accounts.
    public func invite(_ sessionId: String, accountIds: [String]) async throws {
        guard !accountIds.isEmpty else { throw PSNError.configuration("invite: no account ids") }
        for accountId in accountIds {
            if let problem = AccountId.problem(accountId, field: "invite: account id") { throw PSNError.configuration(problem) }
        }
        let body: [String: Any] = [
            "invitationType": "NORMAL", "invitations": accountIds.map { ["to": ["accountId": $0]] },
            "invitationsToGroups": [],
        ]
        _ = try await api.call(
            .POST, "\(Self.base)/partySessions/\(try Self.checked(sessionId))/invitations", stack: .okhttp,
            json: try Self.json(body), endpoint: "invite")
        try await record(PartyInvitationSent(sessionId: sessionId, accountIds: accountIds), sessionId: sessionId)
    }

    /// B.7: invitations addressed to me.
    public func invitations() async throws -> [PartyInvitation] {
        let response = try await api.call(
            .GET, "\(Self.base)/users/me/partySessionsInvitations", stack: .okhttp, endpoint: "invitations")
        let invitations = try api.decode(InvitationsResponse.self, from: response, endpoint: "invitations").invitations
        try checkAccountIds(invitations, path: "invitations", endpoint: "invitations") { $0.accountIdProblem(at: $1) }
        return invitations
    }

    /// B.8: resolves a share link (`https://party.playstation.com/<linkId>` or the id) to its party.
    public func resolveLink(_ link: String) async throws -> PartyInfo {
        let linkId = link.split(separator: "/").last.map(String.init) ?? link
        guard !linkId.isEmpty, linkId.count <= 128,
            linkId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        else {
            throw PSNError.configuration("'\(link)' is not a party link")
        }
        let url = api.settings.urls.partyInfo + linkId + "?country=\(api.settings.country)&language=\(api.settings.locale.prefix(2))"
        let response = try await api.call(
            .GET, "", url: url, stack: .okhttp,
            extraHeaders: [("Origin", "https://party.playstation.com"), ("Referer", "https://party.playstation.com/")],
            endpoint: "partyInfo")
        let info = try api.decode(PartyInfo.self, from: response, endpoint: "partyInfo")
        if let problem = info.accountIdProblem(at: "partyInfo") { throw PSNError.malformed(endpoint: "partyInfo", detail: problem) }
        return info
    }

    /// B.10: sends a party-scoped custom message (`miranda:12` signalling) to the listed members; 204 expected.
    public func sendCustomMessage(
        _ sessionId: String, channel: String = "miranda:12", payload: String, to recipients: [(accountId: String, platform: String)]
    ) async throws {
        for recipient in recipients {
            if let problem = AccountId.problem(recipient.accountId, field: "customMessage recipient") {
                throw PSNError.configuration(problem)
            }
        }
        let body: [String: Any] = [
            "channel": channel, "payload": payload,
            "to": recipients.map { ["accountId": $0.accountId, "platform": $0.platform] },
            "withoutSequenceNumber": true,
        ]
        _ = try await api.call(
            .POST, "\(Self.base)/partySessions/\(try Self.checked(sessionId))/customMessage", stack: .core,
            // Throttled per recipient: offers and answers to different members must not wait for each other.
            json: try Self.json(body), endpoint: "customMessage to \(recipients.map(\.accountId).joined(separator: ","))")
    }

    /// B.9: links an rtcBridge bridge to the party (`X-PSN-SESSION-MANAGER-IGNORE-CONFLICT: true`).
    public func linkBridge(_ sessionId: String, bridgeId: String, bridgeToken: Secret) async throws {
        let body: [String: Any] = ["bridges": [["bridgeId": bridgeId, "bridgeToken": bridgeToken.reveal()]]]
        _ = try await api.call(
            .POST, "\(Self.base)/partySessions/\(try Self.checked(sessionId))/bridges", stack: .core,
            json: try Self.json(body), extraHeaders: [("X-PSN-SESSION-MANAGER-IGNORE-CONFLICT", "true")],
            endpoint: "linkBridge")
    }

    /// The member object of create/join (B.3, B.5): "me" aliases and a fresh push context.
    static func selfMember() -> [String: Any] {
        [
            "accountId": "me", "customData4": CustomData4.onJoin, "platform": "me",
            "pushContexts": [["contextId": UUID().uuidString.lowercased()]], "voiceChatActivated": true,
        ]
    }

    static func json(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// A session id is a UUID; anything else would change the path.
    static func checked(_ sessionId: String) throws -> String {
        guard UUID(uuidString: sessionId) != nil else {
            throw PSNError.configuration("'\(sessionId)' is not a party session id (a UUID)")
        }
        return sessionId.lowercased()
    }
}
