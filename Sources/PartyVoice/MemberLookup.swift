import Foundation
import PSN
import PartyBusCore

/// Who is in the party, for signalling: a member's offer can arrive before we know they are in the party — our read
/// of the party after joining is still on its way back (it is read again when push frames raced it), or a push was
/// lost — so an offer from someone the projection does not show makes us read the party first (B.2).
extension PartyVoice {
    /// No sooner than this after the last re-read of the same party: a stream of offers from strangers costs one read
    /// per interval, not one each.
    static let memberRereadInterval: Duration = .seconds(2)

    /// `accountId` as a member of `sessionId`: from the projection, else after reading the party again (one read
    /// per party in flight, others wait for it; none within `memberRereadInterval` of the last). Nil when they are
    /// not a member after all.
    func member(_ accountId: String, of sessionId: String) async -> PartyMember? {
        if let member = parties.current.parties[sessionId]?.members[accountId] { return member }
        if let inFlight = memberRereads[sessionId] {
            await inFlight.value
        } else if lastMemberReread[sessionId].map({ ContinuousClock.now - $0 >= Self.memberRereadInterval }) ?? true {
            lastMemberReread[sessionId] = .now
            let reread = Task { [client, log, parties] in
                _ = try? await client.parties.get([sessionId])
                await parties.waitUntilFolded(log.head)
            }
            memberRereads[sessionId] = reread
            await reread.value
            memberRereads[sessionId] = nil
        }
        return parties.current.parties[sessionId]?.members[accountId]
    }

    /// Forgets the re-read times of a party we are no longer in.
    func forgetMemberRereads(_ sessionId: String) {
        lastMemberReread[sessionId] = nil
    }
}
