import Foundation
import PSN
import PartyBusCore

/// `/v1/parties`, `/v1/invitations` and `/v1/links`: sessionManager parties through the daemon.
enum PartyRoutes {
    static let routes: [ControlRoute] = [
        ControlRoute("GET", "/v1/parties", "My parties as sessionManager lists them (B.1).") { _, context in
            try .json(try await context.client.parties.list())
        },
        ControlRoute("POST", "/v1/parties", "Create a party with me in it (B.3); body {name?, maxMembers?}.") { request, context in
            struct Body: Decodable { var name: String?; var maxMembers: Int? }
            let body = try request.decode(Body.self)
            let maxMembers = body.maxMembers ?? 16
            guard (1...16).contains(maxMembers) else { throw ControlAPIError.badRequest("request body: 'maxMembers' must be 1…16") }
            let sessionId = try await context.client.parties.create(name: body.name ?? "", maxMembers: maxMembers)
            return try .json(["sessionId": sessionId], status: 201)
        },
        ControlRoute("GET", "/v1/parties/{sessionId}", "One party in full (B.2; recorded as party.snapshot).") { request, context in
            let sessionId = try checkedSessionId(request)
            guard let party = try await context.client.parties.get([sessionId]).first else {
                throw ControlAPIError.notFound("no party \(sessionId) visible to this account")
            }
            return try .json(party)
        },
        ControlRoute("POST", "/v1/parties/{sessionId}/join", "Join a party (B.5); voice starts when voice.autoStart is on.") { request, context in
            let sessionId = try checkedSessionId(request)
            try await context.client.parties.join(sessionId)
            return try .json(PartyAnswer(sessionId: sessionId, action: "joined"))
        },
        ControlRoute("POST", "/v1/parties/{sessionId}/leave", "Leave a party: voice stops first (G 17), then DELETE members/me (G 18).") { request, context in
            let sessionId = try checkedSessionId(request)
            let stopped = try await context.lifecycle.leave(sessionId)
            return try .json(PartyAnswer(sessionId: sessionId, action: "left", voiceStopped: stopped))
        },
        ControlRoute("POST", "/v1/parties/{sessionId}/invitations", "Invite accounts (B.7); body {accountIds: [..]}.") { request, context in
            struct Body: Decodable { var accountIds: [String] }
            let sessionId = try checkedSessionId(request)
            let body = try request.decode(Body.self)
            guard !body.accountIds.isEmpty, body.accountIds.allSatisfy(isAccountId) else {
                throw ControlAPIError.badRequest("request body: 'accountIds' must be a non-empty list of decimal account ids")
            }
            try await context.client.parties.invite(sessionId, accountIds: body.accountIds)
            return try .json(PartyAnswer(sessionId: sessionId, action: "invited", accountIds: body.accountIds))
        },
        ControlRoute("GET", "/v1/invitations", "Invitations addressed to me: sessionManager's list and those that came by push.") { _, context in
            var invitations = try await context.client.parties.invitations().map {
                Invitation(sessionId: $0.sessionId, sessionName: $0.sessionName, from: $0.from, via: "list")
            }
            await context.caughtUp()
            for received in context.status.current.invitations.values.sorted(by: { $0.sessionId < $1.sessionId })
            where !invitations.contains(where: { $0.sessionId == received.sessionId }) {
                invitations.append(Invitation(
                    sessionId: received.sessionId, sessionName: received.sessionName, from: received.from, via: "push"))
            }
            return try .json(invitations)
        },
        ControlRoute("POST", "/v1/invitations/{sessionId}/accept", "Accept an invitation (joins the party, B.5).") { request, context in
            let sessionId = try checkedSessionId(request)
            try await context.lifecycle.accept(sessionId)
            return try .json(PartyAnswer(sessionId: sessionId, action: "joined"))
        },
        ControlRoute("GET", "/v1/links/{linkId}", "Resolve a party share link's id to its party (B.8).") { request, context in
            try .json(try await context.client.parties.resolveLink(request.parameter("linkId")))
        },
    ]

    /// One invitation as the API lists it; `via` says where it was seen (`list`: B.7's GET, `push`: a push frame).
    struct Invitation: Encodable {
        var sessionId: String
        var sessionName: String?
        var from: PartyMember?
        var via: String
    }

    /// What the acting party routes answer.
    struct PartyAnswer: Encodable {
        var sessionId: String
        var action: String
        var voiceStopped: Bool?
        var accountIds: [String]?
    }

    static func checkedSessionId(_ request: ControlRequest) throws -> String {
        let sessionId = request.parameter("sessionId")
        guard UUID(uuidString: sessionId) != nil else {
            throw ControlAPIError.badRequest("'\(sessionId.prefix(60))' is not a party session id (a UUID)")
        }
        return sessionId.lowercased()
    }

    static func isAccountId(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 20 && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
