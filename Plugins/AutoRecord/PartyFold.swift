import PartyBusPluginAPI

/// Who is in which party and what it is called, folded from the `party.*` events the plugin sees (payloads in
/// docs/events.md; read leniently, so a field that moved only costs the trigger that needs it).
struct PartyFold {
    /// One party.
    struct Party {
        var name: String?
        /// Account id → online id.
        var members: [String: String?] = [:]
    }

    private(set) var parties: [String: Party] = [:]

    private struct Member: Decodable { var accountId: String; var onlineId: String? }
    private struct Snapshot: Decodable {
        struct Body: Decodable { var sessionId: String; var sessionName: String?; var members: [Member]? }
        var party: Body
    }
    private struct Created: Decodable { var sessionId: String; var sessionName: String? }
    private struct Session: Decodable { var sessionId: String }
    private struct Joined: Decodable { var sessionId: String; var member: Member }
    private struct Left: Decodable { var sessionId: String; var accountId: String }
    private struct Updated: Decodable { var sessionId: String; var field: String; var value: String }

    /// Folds one event; true when a party's members or name changed.
    @discardableResult
    mutating func apply(_ event: Event) -> Bool {
        switch event.type {
        case "party.created":
            guard let p = try? event.decode(Created.self) else { return false }
            parties[p.sessionId, default: Party()].name = p.sessionName
        case "party.joined":
            guard let p = try? event.decode(Session.self) else { return false }
            if parties[p.sessionId] == nil { parties[p.sessionId] = Party() }
        case "party.snapshot":
            guard let p = try? event.decode(Snapshot.self) else { return false }
            var party = Party(name: p.party.sessionName)
            for member in p.party.members ?? [] { party.members[member.accountId] = member.onlineId }
            parties[p.party.sessionId] = party
        case "party.member_joined":
            guard let p = try? event.decode(Joined.self) else { return false }
            parties[p.sessionId, default: Party()].members[p.member.accountId] = p.member.onlineId
        case "party.member_left":
            guard let p = try? event.decode(Left.self) else { return false }
            parties[p.sessionId]?.members[p.accountId] = nil
        case "party.updated":
            guard let p = try? event.decode(Updated.self), p.field == "sessionName" else { return false }
            parties[p.sessionId]?.name = p.value
        case "party.left", "party.deleted":
            guard let p = try? event.decode(Session.self) else { return false }
            parties[p.sessionId] = nil
        default:
            return false
        }
        return true
    }

    /// A member's online id, when known.
    func onlineId(of accountId: String, in sessionId: String) -> String? {
        parties[sessionId]?.members[accountId] ?? nil
    }
}
