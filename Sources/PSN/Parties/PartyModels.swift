public import PartyBusCore

/// B.1 response.
struct BulkGetResponse: Decodable {
    var parties: [PartySession]
}

/// B.2 response ([SIM] shape, U4).
struct PartySessionsResponse: Decodable {
    var partySessions: [PartySession]
}

/// B.3 response.
struct CreateResponse: Decodable {
    struct Created: Decodable { var sessionId: String }
    var v2PartySessions: [Created]
}

/// An invitation (B.7 [SIM] item shape).
public struct PartyInvitation: Sendable, Codable, Equatable {
    /// The party.
    public var sessionId: String
    /// Its name.
    public var sessionName: String?
    /// `NORMAL`.
    public var invitationType: String?
    /// Who invited.
    public var from: PartyMember?
    /// Epoch ms as a string.
    public var createdTimestamp: String?
}

/// B.7 list response.
struct InvitationsResponse: Decodable {
    var invitations: [PartyInvitation]
}

/// B.8 partyInfo response.
public struct PartyInfo: Sendable, Codable, Equatable {
    /// A member as partyInfo shows it (`platformId`, possibly anonymised).
    public struct Member: Sendable, Codable, Equatable {
        /// Whether this member hosts.
        public var isHost: Bool?
        /// Online id (`_anonymous_user` when anonymised).
        public var onlineId: String?
        /// Platform.
        public var platformId: String?
        /// Account id (`0` when anonymised).
        public var accountId: String?
    }

    /// The session id.
    public var sessionId: String
    /// The name.
    public var sessionName: String?
    /// Whether it can be joined.
    public var isJoinable: Bool?
    /// Capacity.
    public var maxMembers: Int?
    /// Members.
    public var members: [Member]?
}

/// customData4 as the app sends it on create/join and after joining (B.0).
enum CustomData4 {
    static let onJoin = "WyIiLCIiLCIxIiwiMCIsIjYuMi4wIiwiMCIsIjAiLCIwIiwiIiwiIl0="
    static let afterJoin = "WyIiLCJBZ0FBQUE9PSIsIjEiLCIwIiwiNi4yLjAiLCIwIiwiMCIsIjAiLCIiLCIiXQ=="
}

/// Account ids in sessionManager answers are outside data: each is checked (1–20 ASCII digits) as it is decoded,
/// and the first bad one is named by its path (`parties[0].members[1].accountId`).
extension PartyMember {
    func accountIdProblem(at path: String) -> String? {
        AccountId.problem(accountId, field: "\(path).accountId")
    }
}

extension PartySession {
    func accountIdProblem(at path: String) -> String? {
        if let problem = owner?.accountIdProblem(at: "\(path).owner") { return problem }
        for (index, member) in (members ?? []).enumerated() {
            if let problem = member.accountIdProblem(at: "\(path).members[\(index)]") { return problem }
        }
        return nil
    }
}

extension PartyInvitation {
    func accountIdProblem(at path: String) -> String? {
        from?.accountIdProblem(at: "\(path).from")
    }
}

extension PartyInfo {
    func accountIdProblem(at path: String) -> String? {
        for (index, member) in (members ?? []).enumerated() {
            if let accountId = member.accountId,
                let problem = AccountId.problem(accountId, field: "\(path).members[\(index)].accountId")
            {
                return problem
            }
        }
        return nil
    }
}

/// Throws `PSNError.malformed` for the first item whose account ids do not hold.
func checkAccountIds<Item>(
    _ items: [Item], path: String, endpoint: String, problem: (Item, String) -> String?
) throws {
    for (index, item) in items.enumerated() {
        if let found = problem(item, "\(path)[\(index)]") { throw PSNError.malformed(endpoint: endpoint, detail: found) }
    }
}
