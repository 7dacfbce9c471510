import Foundation
import HTTPTypes
import PSNSimulator
import Testing

@Suite("sessionManager and push events (H 5–7, 9)")
struct PartyTests {
    @Test("create → creator gets members:created then partySession:created with the E.5 envelope")
    func createEvents() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let socket = try await c.push(Fixture.a, token: a.access)
            let sessionId = try await c.createParty(a.access)
            #expect(sessionId.count == 36 && sessionId == sessionId.lowercased())

            let first = try #require(await socket.next())
            #expect(first["version"] == .string("3.0"))
            #expect(first["method"]?.intValue == 3001)
            #expect(first["dataType"] == .string("psn:sessionManager:sys:v2:ps:members:created"))
            #expect(first["to"] == .object([
                "accountId": .string(Fixture.a.accountId), "onlineId": .string(Fixture.a.onlineId),
                "platform": .string("MOBILE_APP"),
            ]))
            let data = try #require(first["body"]?["data"])
            #expect(data["sessionId"] == .string(sessionId))
            let from = try #require(data["customProperties"]?["from"])
            #expect(from["accountId"] == .string(Fixture.a.accountId))
            #expect(from["joinOrder"]?.intValue == 1)
            #expect(from["deviceUniqueId"]?.stringValue != nil)
            let member = try #require(data["members"]?.arrayValue?.first)
            #expect(member["customData4"] == .string(Fixture.customData4))
            #expect(member["joinOrder"]?.intValue == 1)
            #expect(member["isOnShareScreen"] == .bool(false))
            #expect(member["voiceChatActivated"] == .bool(true))
            #expect(member["joinTimestamp"]?.intValue != nil)

            let second = try #require(await socket.next())
            #expect(second["dataType"] == .string("psn:sessionManager:sys:v2:partySession:created"))
            #expect(second["body"]?["data"] == .object([
                "customProperties": .object(["from": from]), "sessionId": .string(sessionId),
            ]))
        }
    }

    @Test("invited join → members:created to both; uninvited → 403; allowUninvitedJoin; full → 409")
    func joinRules() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let b = try await c.signIn(Fixture.b)
            let cc = try await c.signIn(Fixture.c)
            let sa = try await c.push(Fixture.a, token: a.access)
            let sb = try await c.push(Fixture.b, token: b.access)
            let sessionId = try await c.createParty(a.access, maxMembers: 2)
            #expect(await sa.nextType() == "psn:sessionManager:sys:v2:ps:members:created")
            #expect(await sa.nextType() == "psn:sessionManager:sys:v2:partySession:created")

            let denied = try await c.join(b.access, sessionId)
            #expect(denied.status == 403)
            #expect(denied.json?["error"]?["message"] == .string("Not permitted by access control"))
            #expect(denied.json?["error"]?["code"]?.intValue == 9_900_403)

            #expect(try await c.invite(a.access, sessionId, Fixture.b.accountId).status == 201)
            let invitations = try await c.request(
                .get, "/api/sessionManager/v2/users/me/partySessionsInvitations", headers: c.bearer(b.access))
            let item = try #require(invitations.json?["invitations"]?.arrayValue?.first)
            #expect(item["sessionId"] == .string(sessionId))
            #expect(item["invitationType"] == .string("NORMAL"))
            #expect(item["from"]?["accountId"] == .string(Fixture.a.accountId))
            #expect(item["createdTimestamp"]?.stringValue != nil)

            let joined = try await c.join(b.access, sessionId)
            #expect(joined.status == 201)
            #expect(joined.body.isEmpty)
            for socket in [sa, sb] {
                let frame = try #require(await socket.next())
                #expect(frame["dataType"] == .string("psn:sessionManager:sys:v2:ps:members:created"))
                #expect(frame["body"]?["data"]?["members"]?.arrayValue?.first?["joinOrder"]?.intValue == 2)
                #expect(frame["body"]?["data"]?["customProperties"]?["from"]?["accountId"] == .string(Fixture.b.accountId))
            }
            #expect(await sb.next(timeout: .milliseconds(200)) == nil)  // nothing more queued for B
            let afterJoin = try await c.request(
                .get, "/api/sessionManager/v2/users/me/partySessionsInvitations", headers: c.bearer(b.access))
            #expect(afterJoin.json == .object(["invitations": .array([])]))

            c.simulator.setFaults({ var f = c.simulator.faults; f.allowUninvitedJoin = true; return f }())
            let full = try await c.join(cc.access, sessionId)
            #expect(full.status == 409)
            #expect(full.json?["error"]?["message"] == .string("Upper limit exceeded"))

            let unknown = try await c.join(cc.access, "00000000-0000-4000-8000-000000000000")
            #expect(unknown.status == 404)
            #expect(unknown.json?["error"]?["message"] == .string("Resource not found"))
        }
    }

    @Test("PATCH customData4 → m:customData4:updated to all; bad base64 → 400; non-member → 403")
    func patchMember() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let b = try await c.signIn(Fixture.b)
            let sa = try await c.push(Fixture.a, token: a.access)
            let sessionId = try await c.createParty(a.access)
            _ = await sa.next(); _ = await sa.next()
            let path = "/api/sessionManager/v2/partySessions/\(sessionId)/members/me"
            let ok = try await c.request(.patch, path, headers: c.bearer(a.access),
                                         body: #"{"customData4":"\#(Fixture.customData4Patched)"}"#)
            #expect(ok.status == 204)
            let frame = try #require(await sa.next())
            #expect(frame["dataType"] == .string("psn:sessionManager:sys:v2:ps:m:customData4:updated"))
            let member = try #require(frame["body"]?["data"]?["members"]?.arrayValue?.first)
            #expect(member.objectValue?.keys == ["accountId", "customData4", "deviceUniqueId", "joinOrder", "onlineId", "platform"])
            #expect(member["customData4"] == .string(Fixture.customData4Patched))

            let bad = try await c.request(.patch, path, headers: c.bearer(a.access), body: #"{"customData3":"***"}"#)
            #expect(bad.status == 400)
            #expect(bad.json?["error"]?["message"] == .string("Bad Request (body: customData3)"))
            let stranger = try await c.request(.patch, path, headers: c.bearer(b.access), body: #"{"customData4":"AA=="}"#)
            #expect(stranger.status == 403)
            #expect(stranger.json?["error"]?["message"] == .string("Only session members permitted"))
            let malformed = try await c.request(.post, "/api/sessionManager/v2/partySessions", headers: c.bearer(a.access),
                                                body: #"{"v2PartySessions":[{"members":[]}]}"#)
            #expect(malformed.json?["error"]?["message"] == .string("Bad Request (body: members)"))

            let rename = try await c.request(.patch, "/api/sessionManager/v2/partySessions/\(sessionId)",
                                             headers: c.bearer(a.access), body: #"{"sessionName":"Party"}"#)
            #expect(rename.status == 204)
            let renamed = try #require(await sa.next())
            #expect(renamed["dataType"] == .string("psn:sessionManager:sys:v2:ps:sessionName:updated"))
            #expect(renamed["body"]?["data"]?["sessionName"] == .string("Party"))
        }
    }

    @Test("owner leaves → members:deleted + owner:updated; last leave → outside:v2:partySession:deleted")
    func leaveAndDelete() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let b = try await c.signIn(Fixture.b)
            let sa = try await c.push(Fixture.a, token: a.access)
            let sb = try await c.push(Fixture.b, token: b.access)
            let sessionId = try await c.createParty(a.access)
            _ = await sa.next(); _ = await sa.next()
            _ = try await c.invite(a.access, sessionId, Fixture.b.accountId)
            #expect(try await c.join(b.access, sessionId).status == 201)
            _ = await sa.next(); _ = await sb.next()

            #expect(try await c.leave(a.access, sessionId).status == 204)
            let deleted = try #require(await sb.next())
            #expect(deleted["dataType"] == .string("psn:sessionManager:sys:v2:ps:members:deleted"))
            #expect(deleted["body"]?["data"]?["members"]?.arrayValue?.first?["accountId"] == .string(Fixture.a.accountId))
            let owner = try #require(await sb.next())
            #expect(owner["dataType"] == .string("psn:sessionManager:sys:v2:ps:owner:updated"))
            #expect(owner["body"]?["data"]?["owner"]?["accountId"] == .string(Fixture.b.accountId))

            let state = try await c.request(.get, "/api/sessionManager/v2/partySessions?view=v3", headers: {
                var h = c.bearer(b.access)
                h[HTTPField.Name("X-PSN-SESSION-MANAGER-SESSION-IDS")!] = "\(sessionId),unknown-id"
                return h
            }())
            let party = try #require(state.json?["partySessions"]?.arrayValue?.first)
            #expect(party["owner"]?["accountId"] == .string(Fixture.b.accountId))
            #expect(party["members"]?.arrayValue?.count == 1)
            #expect(party["createdTimestamp"]?.stringValue != nil)

            #expect(try await c.leave(b.access, sessionId).status == 204)
            for socket in [sa, sb] {
                let frame = try #require(await socket.next())
                #expect(frame["dataType"] == .string("psn:sessionManager:sys:outside:v2:partySession:deleted"))
                #expect(frame["body"]?["data"]?["customProperties"]?["deletedEvenCause"] == .string("LAST_MEMBER_LEFT"))
                #expect(frame["body"]?["data"]?["sessionId"] == .string(sessionId))
            }
            #expect(try await c.leave(b.access, sessionId).status == 404)
        }
    }

    @Test("bulkGet lists my parties; GET partySessions needs the ids header; partyInfo anonymises strangers")
    func listing() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let b = try await c.signIn(Fixture.b)
            let first = try await c.createParty(a.access)
            // Unknown X-PSN-* headers and the CPSS id header are accepted and ignored (H 16).
            var extra = c.bearer(a.access)
            extra[HTTPField.Name("X-PSN-SESSION-MANAGER-CPSS-ID")!] = "js_abcdefghijklmnopqrs"
            extra[HTTPField.Name("X-PSN-SOMETHING-NEW")!] = "1"
            extra[HTTPField.Name("x-psn-request-id")!] = "9c7e2a8e-2f7b-4a51-8f3e-0c1d2e3f4a5b"
            let created = try await c.request(.post, "/api/sessionManager/v2/partySessions", headers: extra, body: #"{"v2PartySessions":[{"members":[{"accountId":"me","platform":"me"}]}]}"#)
            #expect(created.status == 201)
            let second = try #require(created.json?["v2PartySessions"]?.arrayValue?.first?["sessionId"]?.stringValue)
            let bulk = try await c.request(.post, "/api/sessionManager/v2/sys/gameBase/parties/bulkGet?limit=11",
                                           headers: c.bearer(a.access), body: #"{"groupInvitedPartySessions":[]}"#)
            #expect(bulk.status == 200)
            let ids = bulk.json?["parties"]?.arrayValue?.compactMap { $0["sessionId"]?.stringValue }
            #expect(ids == [second, first])
            let limited = try await c.request(.post, "/api/sessionManager/v2/sys/gameBase/parties/bulkGet?limit=1",
                                              headers: c.bearer(a.access), body: #"{"groupInvitedPartySessions":[]}"#)
            #expect(limited.json?["parties"]?.arrayValue?.count == 1)
            let none = try await c.request(.post, "/api/sessionManager/v2/sys/gameBase/parties/bulkGet?limit=11",
                                           headers: c.bearer(b.access), body: #"{"groupInvitedPartySessions":[]}"#)
            #expect(none.json == .object(["parties": .array([])]))
            _ = try await c.invite(a.access, first, Fixture.b.accountId)
            let invited = try await c.request(.post, "/api/sessionManager/v2/sys/gameBase/parties/bulkGet?limit=11",
                                              headers: c.bearer(b.access), body: #"{"groupInvitedPartySessions":["\#(first)"]}"#)
            #expect(invited.json?["parties"]?.arrayValue?.first?["sessionId"] == .string(first))

            let missing = try await c.request(.get, "/api/sessionManager/v2/partySessions?view=v3", headers: c.bearer(a.access))
            #expect(missing.status == 400)
            #expect(missing.json?["error"]?["message"] == .string("Bad Request (header: X-PSN-SESSION-MANAGER-SESSION-IDS)"))

            let parties = try await c.request(.get, "/sim/admin/parties")
            let linkId = try #require(parties.json?["parties"]?.arrayValue?.first(where: { $0["sessionId"] == .string(first) })?["linkId"]?.stringValue)
            #expect(linkId.hasPrefix("sim_") && linkId.count == 23)
            let anonymous = try await c.request(.get, "/api/cpss/v1/partyInfo/\(linkId)?country=US&language=en")
            #expect(anonymous.status == 200)
            #expect(anonymous.json?["members"]?.arrayValue?.first?["onlineId"] == .string("_anonymous_user"))
            #expect(anonymous.json?["members"]?.arrayValue?.first?["accountId"] == .string("0"))
            #expect(anonymous.json?["sessionId"] == .string(first))
            let member = try await c.request(.get, "/api/cpss/v1/partyInfo/\(linkId)", headers: c.bearer(a.access))
            #expect(member.json?["members"]?.arrayValue?.first?["onlineId"] == .string(Fixture.a.onlineId))
            #expect(member.json?["inParty"] == .bool(true))
            #expect(try await c.request(.get, "/api/cpss/v1/partyInfo/sim_nope").status == 404)
            let unrouted = try await c.request(.post, "/api/sessionManager/v2/partySessions/\(first)/invitations/decline", body: "{}")
            #expect(unrouted.status == 404)
            #expect(unrouted.json?["error"]?["message"] == .string("Resource not found"))
        }
    }

    @Test("customMessage relayed byte-for-byte to recipients only; rejectCustomMessage → 400 (body: null)")
    func customMessage() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let b = try await c.signIn(Fixture.b)
            let sa = try await c.push(Fixture.a, token: a.access)
            let sb = try await c.push(Fixture.b, token: b.access)
            let sessionId = try await c.createParty(a.access)
            _ = try await c.invite(a.access, sessionId, Fixture.b.accountId)
            _ = try await c.join(b.access, sessionId)
            _ = await sa.next(); _ = await sa.next(); _ = await sa.next(); _ = await sb.next()
            let bJSON = MirandaFixtures.d5JSON.replacingOccurrences(of: Fixture.a.accountId, with: Fixture.b.accountId)
            let payload = MirandaPayload.envelope(senderAccountId: 1_111_111_111_111_111_111, senderPlatformCode: 100_001,
                                                  jsonText: bJSON)
            let aPayload = MirandaFixtures.d5Payload
            let path = "/api/sessionManager/v2/partySessions/\(sessionId)/customMessage"
            let sent = try await c.request(.post, path, headers: c.bearer(b.access), body: """
                {"channel":"miranda:12","payload":"\(payload)","to":[{"accountId":"\(Fixture.a.accountId)","platform":"MOBILE_APP"}],"withoutSequenceNumber":true}
                """)
            #expect(sent.status == 204)
            let frame = try #require(await sa.next())
            #expect(frame["dataType"] == .string("psn:sessionManager:sys:v2:ps:customMessage:noSeq:created"))
            #expect(frame["body"]?["data"]?["customMessage"] == .object(["channel": .string("miranda:12"), "payload": .string(payload)]))
            let seq = try await c.request(.post, path, headers: c.bearer(a.access), body: #"{"channel":"miranda:12","payload":"\#(aPayload)"}"#)
            #expect(seq.status == 204)
            #expect(await sb.nextType() == "psn:sessionManager:sys:v2:ps:customMessage:created")
            let badPayload = try await c.request(.post, path, headers: c.bearer(a.access), body: #"{"channel":"miranda:12","payload":"hello"}"#)
            #expect(badPayload.json?["error"]?["message"] == .string("Bad Request (body: null)"))
            let noChannel = try await c.request(.post, path, headers: c.bearer(a.access), body: #"{"payload":"\#(aPayload)"}"#)
            #expect(noChannel.json?["error"]?["message"] == .string("Bad Request (body: channel)"))
            _ = try await c.admin("faults", #"{"rejectCustomMessage":true}"#)
            let rejected = try await c.request(.post, path, headers: c.bearer(a.access), body: #"{"channel":"miranda:12","payload":"\#(aPayload)"}"#)
            #expect(rejected.status == 400)
            #expect(rejected.json?["error"]?["message"] == .string("Bad Request (body: null)"))
        }
    }
}
