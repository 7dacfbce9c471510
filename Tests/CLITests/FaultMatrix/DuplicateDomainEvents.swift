import Foundation
import PartyBusCore

/// The fault matrix's definition of a duplicate domain event, checked over the whole log in seq order. Folding only
/// the log's own `party.*` events (a `party.snapshot` replaces a party's member set), an event is a duplicate when
/// it announces what the log already says:
/// - `party.created` for a session id that was created before;
/// - `party.joined` for a party we already created or joined by the API (no `party.left` / `party.deleted` since; a
///   push echo of our own `party.member_joined` may come first, that is not a second join);
/// - `party.member_joined` of an account the party already lists (no leave or snapshot without it between);
/// - `party.member_left` of an account a party we are in does not list;
/// - `party.left` for a party the log does not have us in.
struct DuplicateDomainEvents {
    private var parties: [String: Set<String>] = [:]
    private var created: Set<String> = []
    /// Parties we created or joined by the API and have not left.
    private var ours: Set<String> = []
    /// Each duplicate: its seq, type and why.
    private(set) var found: [String] = []

    /// Folds `events` (in seq order) and returns the duplicates among them.
    static func find(in events: [Event]) -> [String] {
        var fold = DuplicateDomainEvents()
        for event in events { fold.apply(event) }
        return fold.found
    }

    private struct Session: Decodable { var sessionId: String }
    private struct Member: Decodable { var accountId: String }
    private struct MemberJoined: Decodable { var sessionId: String; var member: Member }
    private struct MemberLeft: Decodable { var sessionId: String; var accountId: String }
    private struct Snapshot: Decodable {
        struct Party: Decodable { var sessionId: String; var members: [Member]? }
        var party: Party
    }

    private mutating func apply(_ event: Event) {
        func decode<T: Decodable>(_ type: T.Type) -> T? { try? JSONDecoder().decode(T.self, from: event.payload) }
        func duplicate(_ why: String) { found.append("#\(event.seq) \(event.type): \(why)") }
        switch event.type {
        case "party.created":
            guard let p = decode(Session.self) else { return duplicate("undecodable payload") }
            if created.contains(p.sessionId) { duplicate("party \(p.sessionId) was already created") }
            created.insert(p.sessionId)
            ours.insert(p.sessionId)
            parties[p.sessionId] = parties[p.sessionId] ?? []
        case "party.joined":
            guard let p = decode(Session.self) else { return duplicate("undecodable payload") }
            if ours.contains(p.sessionId) { duplicate("already created or joined \(p.sessionId)") }
            ours.insert(p.sessionId)
            parties[p.sessionId] = parties[p.sessionId] ?? []
        case "party.snapshot":
            guard let p = decode(Snapshot.self) else { return duplicate("undecodable payload") }
            parties[p.party.sessionId] = Set((p.party.members ?? []).map(\.accountId))
        case "party.member_joined":
            guard let p = decode(MemberJoined.self) else { return duplicate("undecodable payload") }
            if parties[p.sessionId]?.contains(p.member.accountId) == true {
                duplicate("\(p.member.accountId) is already a member of \(p.sessionId)")
            }
            parties[p.sessionId, default: []].insert(p.member.accountId)
        case "party.member_left":
            guard let p = decode(MemberLeft.self) else { return duplicate("undecodable payload") }
            if let members = parties[p.sessionId], !members.contains(p.accountId) {
                duplicate("\(p.accountId) is not a member of \(p.sessionId)")
            }
            parties[p.sessionId]?.remove(p.accountId)
        case "party.left":
            guard let p = decode(Session.self) else { return duplicate("undecodable payload") }
            if parties[p.sessionId] == nil { duplicate("not in party \(p.sessionId)") }
            parties[p.sessionId] = nil
            ours.remove(p.sessionId)
        case "party.deleted":
            guard let p = decode(Session.self) else { return duplicate("undecodable payload") }
            parties[p.sessionId] = nil
            ours.remove(p.sessionId)
        default:
            break
        }
    }
}
