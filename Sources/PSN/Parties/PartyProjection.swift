public import PartyBusCore

/// Which parties we are in and who is in them, folded from `party.*` events only.
public struct PartyProjection: Projection, Equatable {
    public static let name = "parties"
    public static let filter = EventFilter(types: ["party.*"])

    /// One party as the log describes it.
    public struct Party: Sendable, Codable, Equatable {
        /// The session id.
        public var sessionId: String
        /// Its name.
        public var name: String = ""
        /// Members by account id.
        public var members: [String: PartyMember] = [:]
        /// The owner's account id, when known.
        public var ownerAccountId: String?
        /// Capacity, when known.
        public var maxMembers: Int?
    }

    /// Parties by session id.
    public var parties: [String: Party] = [:]

    public init() {}

    /// Members of a party sorted by join order.
    public func members(of sessionId: String) -> [PartyMember] {
        (parties[sessionId]?.members.values.map { $0 } ?? []).sorted { ($0.joinOrder ?? .max) < ($1.joinOrder ?? .max) }
    }

    public mutating func apply(_ event: Event) {
        switch event.type {
        case PartyCreated.eventType:
            guard let p = try? event.decode(PartyCreated.self) else { return }
            parties[p.sessionId, default: Party(sessionId: p.sessionId)].name = p.sessionName
            parties[p.sessionId]?.maxMembers = p.maxMembers
        case PartyJoined.eventType:
            guard let p = try? event.decode(PartyJoined.self) else { return }
            if parties[p.sessionId] == nil { parties[p.sessionId] = Party(sessionId: p.sessionId) }
        case PartySnapshot.eventType:
            guard let p = try? event.decode(PartySnapshot.self) else { return }
            var party = Party(sessionId: p.party.sessionId, name: p.party.sessionName ?? "")
            for member in p.party.members ?? [] { party.members[member.accountId] = member }
            party.ownerAccountId = p.party.owner?.accountId
            party.maxMembers = p.party.maxMembers
            parties[party.sessionId] = party
        case PartyMemberJoined.eventType:
            guard let p = try? event.decode(PartyMemberJoined.self) else { return }
            parties[p.sessionId, default: Party(sessionId: p.sessionId)].members[p.member.accountId] = p.member
            if p.member.joinOrder == 1, parties[p.sessionId]?.ownerAccountId == nil {
                parties[p.sessionId]?.ownerAccountId = p.member.accountId
            }
        case PartyMemberLeft.eventType:
            guard let p = try? event.decode(PartyMemberLeft.self) else { return }
            parties[p.sessionId]?.members[p.accountId] = nil
        case PartyMemberUpdated.eventType:
            guard let p = try? event.decode(PartyMemberUpdated.self) else { return }
            if p.field == "customData3" { parties[p.sessionId]?.members[p.accountId]?.customData3 = p.value }
            if p.field == "customData4" { parties[p.sessionId]?.members[p.accountId]?.customData4 = p.value }
        case PartyUpdated.eventType:
            guard let p = try? event.decode(PartyUpdated.self) else { return }
            if p.field == "sessionName" { parties[p.sessionId]?.name = p.value }
            if p.field == "maxMembers" { parties[p.sessionId]?.maxMembers = Int(p.value) }
        case PartyOwnerChanged.eventType:
            guard let p = try? event.decode(PartyOwnerChanged.self) else { return }
            parties[p.sessionId]?.ownerAccountId = p.owner.accountId
        case PartyDeleted.eventType:
            guard let p = try? event.decode(PartyDeleted.self) else { return }
            parties[p.sessionId] = nil
        case PartyLeft.eventType:
            guard let p = try? event.decode(PartyLeft.self) else { return }
            parties[p.sessionId] = nil
        default:
            break
        }
    }
}
