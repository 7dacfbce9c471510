import Foundation
import HTTPTypes
import PSNSimulator
import Testing

@Suite("Faults, determinism and scripted members (H 11, 16–18)")
struct FaultAndScriptTests {
    @Test("5xx injection then success; 429 with Retry-After")
    func httpFaults() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let rule = try await c.admin("faults/http", #"{"path":"/api/v1/devices/accounts/me","status":503,"count":2}"#)
            #expect(rule.status == 201)
            for _ in 0..<2 {
                let failed = try await c.request(.get, "/api/v1/devices/accounts/me", headers: c.bearer(a.access))
                #expect(failed.status == 503)
                #expect(failed.json?["error"]?["code"]?.intValue == 9_900_503)
            }
            #expect(try await c.request(.get, "/api/v1/devices/accounts/me", headers: c.bearer(a.access)).status == 200)

            _ = try await c.admin("faults/http", #"{"path":"/api/sessionManager/v2/*","method":"POST","status":429,"retryAfterSeconds":7}"#)
            let throttled = try await c.request(.post, "/api/sessionManager/v2/partySessions", headers: c.bearer(a.access), body: "{}")
            #expect(throttled.status == 429)
            #expect(throttled.header("Retry-After") == "7")
            #expect(throttled.json?["error"]?["message"] == .string("Too Many Requests"))
            #expect(throttled.json?["error"]?["code"]?.intValue == 9_900_429)
            _ = try await c.createParty(a.access)
        }
    }

    @Test("admin drop ends the socket; admin close sends status 65535 to the client")
    func socketFaults() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let dropped = try await c.push(Fixture.a, token: a.access)
            let drop = try await c.admin("push/drop", #"{"accountId":"\#(Fixture.a.accountId)"}"#)
            #expect(drop.json?["sockets"]?.intValue == 1)
            _ = try? await dropped.closeCode()
            #expect(await dropped.next(timeout: .seconds(5)) == nil)

            let closed = try await c.push(Fixture.a, token: a.access)
            let close = try await c.admin("push/close", #"{"accountId":"\#(Fixture.a.accountId)","code":65535}"#)
            #expect(close.json?["sockets"]?.intValue == 1)
            #expect(try await closed.closeCode() == 65535)
        }
    }

    @Test("reorderCreateEvents swaps the two create events; pushDelayMs keeps order")
    func reorder() async throws {
        let config = Fixture.configuration {
            $0.faults.reorderCreateEvents = true
            $0.faults.pushDelayMs = 50
        }
        try await withSimulator(config) { c in
            let a = try await c.signIn(Fixture.a)
            let socket = try await c.push(Fixture.a, token: a.access)
            _ = try await c.createParty(a.access)
            #expect(await socket.nextType() == "psn:sessionManager:sys:v2:partySession:created")
            #expect(await socket.nextType() == "psn:sessionManager:sys:v2:ps:members:created")
        }
    }

    @Test("the same seed gives the same session ids and link ids")
    func deterministic() async throws {
        let config = Fixture.configuration {
            $0.seed = 42
            $0.fixedClockEpochMs = 1_771_000_000_000
        }
        let runs = LockedResults()
        for _ in 0..<2 {
            try await withSimulator(config) { c in
                let a = try await c.signIn(Fixture.a)
                let s1 = try await c.createParty(a.access)
                let s2 = try await c.createParty(a.access)
                let parties = try await c.request(.get, "/sim/admin/parties")
                let links = parties.json?["parties"]?.arrayValue?.compactMap { $0["linkId"]?.stringValue } ?? []
                runs.append([s1, s2, a.access] + links)
            }
        }
        let all = runs.values
        #expect(all.count == 2)
        #expect(all[0] == all[1])
        #expect(Set(all[0]).count == all[0].count)
    }

    @Test("scripted member joins, patches and messages via the admin API")
    func scriptedMember() async throws {
        try await withSimulator { c in
            let a = try await c.signIn(Fixture.a)
            let sa = try await c.push(Fixture.a, token: a.access)
            let sessionId = try await c.createParty(a.access)
            _ = await sa.next(); _ = await sa.next()
            _ = try await c.invite(a.access, sessionId, Fixture.b.accountId)
            let joined = try await c.admin("act", #"{"actor":"Bob_sim","action":"join","args":{"sessionId":"\#(sessionId)"}}"#)
            #expect(joined.status == 200)
            let frame = try #require(await sa.next())
            #expect(frame["dataType"] == .string("psn:sessionManager:sys:v2:ps:members:created"))
            #expect(frame["body"]?["data"]?["members"]?.arrayValue?.first?["accountId"] == .string(Fixture.b.accountId))
            _ = try await c.admin("act", #"{"actor":"\#(Fixture.b.accountId)","action":"patchMember","args":{"customData3":"AA=="}}"#)
            #expect(await sa.nextType() == "psn:sessionManager:sys:v2:ps:m:customData3:updated")
            _ = try await c.admin("act", #"{"actor":"Bob_sim","action":"customMessage","args":{"type":"offer","to":["Alice_sim"]}}"#)
            let message = try #require(await sa.next())
            #expect(message["dataType"] == .string("psn:sessionManager:sys:v2:ps:customMessage:noSeq:created"))
            let payload = try #require(message["body"]?["data"]?["customMessage"]?["payload"]?.stringValue)
            let decoded = try MirandaPayload.decode(envelope: payload)
            #expect(decoded.senderAccountId == 1_111_111_111_111_111_111)
            #expect(decoded.json["type"] == .string("offer"))
            #expect(decoded.json["to"]?["account_id"] == .string(Fixture.a.accountId))
            let denied = try await c.admin("act", #"{"actor":"Carol_sim","action":"join","args":{"sessionId":"\#(sessionId)"}}"#)
            #expect(denied.status == 403)
            _ = try await c.admin("act", #"{"actor":"Bob_sim","action":"leave"}"#)
            #expect(await sa.nextType() == "psn:sessionManager:sys:v2:ps:members:deleted")
        }
    }

    @Test("script file from the configuration runs its steps in order")
    func scriptFile() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("psnsim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("script.json").path
        try Data(#"""
            [{"at_ms":0,"actor":"Bob_sim","action":"create","args":{"sessionName":"scripted"}},
             {"at_ms":10,"actor":"Carol_sim","action":"join","args":{"sessionId":"$latest","ignoreAccessControl":true}},
             {"at_ms":20,"actor":"Bob_sim","action":"invite","args":{"to":["Alice_sim"]}}]
            """#.utf8).write(to: URL(fileURLWithPath: path))
        let config = Fixture.configuration { $0.scriptPath = path }
        try await withSimulator(config) { c in
            let a = try await c.signIn(Fixture.a)
            let deadline = ContinuousClock.now.advanced(by: .seconds(5))
            var invitations: [JSONValue] = []
            while invitations.isEmpty, ContinuousClock.now < deadline {
                let r = try await c.request(.get, "/api/sessionManager/v2/users/me/partySessionsInvitations", headers: c.bearer(a.access))
                invitations = r.json?["invitations"]?.arrayValue ?? []
                if invitations.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            }
            let invitation = try #require(invitations.first)
            #expect(invitation["sessionName"] == .string("scripted"))
            let parties = try await c.request(.get, "/sim/admin/parties")
            #expect(parties.json?["parties"]?.arrayValue?.first?["members"]?.arrayValue?.count == 2)
        }
    }

    @Test("dropMembershipOnPushLoss removes a member after the grace period")
    func pushLoss() async throws {
        let config = Fixture.configuration {
            $0.faults.dropMembershipOnPushLoss = true
            $0.faults.pushLossGraceSeconds = 0.1
        }
        try await withSimulator(config) { c in
            let a = try await c.signIn(Fixture.a)
            let b = try await c.signIn(Fixture.b)
            let sa = try await c.push(Fixture.a, token: a.access)
            let sb = try await c.push(Fixture.b, token: b.access)
            let sessionId = try await c.createParty(a.access)
            _ = try await c.invite(a.access, sessionId, Fixture.b.accountId)
            _ = try await c.join(b.access, sessionId)
            _ = await sa.next(); _ = await sa.next(); _ = await sa.next()
            _ = try await c.admin("push/drop", #"{"accountId":"\#(Fixture.b.accountId)"}"#)
            _ = try? await sb.closeCode()
            let frame = try #require(await sa.next(timeout: .seconds(5)))
            #expect(frame["dataType"] == .string("psn:sessionManager:sys:v2:ps:members:deleted"))
            #expect(frame["body"]?["data"]?["members"]?.arrayValue?.first?["accountId"] == .string(Fixture.b.accountId))
        }
    }
}

final class LockedResults: @unchecked Sendable {
    private var results: [[String]] = []
    private let lock = NSLock()
    func append(_ r: [String]) { lock.lock(); results.append(r); lock.unlock() }
    var values: [[String]] { lock.lock(); defer { lock.unlock() }; return results }
}
