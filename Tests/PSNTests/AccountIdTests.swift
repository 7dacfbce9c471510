import Foundation
@testable import PSN
import PSNSimulator
import PSNTestSupport
import PartyBusCore
import PartyBusTestSupport
import Testing

@Suite("Account ids from outside are ASCII digits")
struct AccountIdTests {
    @Test("1–20 ASCII digits; other scripts' digits, signs, spaces and 21 digits are not")
    func rule() {
        for good in ["0", "1234567890123456789", "18446744073709551615", "99999999999999999999"] {
            #expect(AccountId.isValid(good), "\(good)")
        }
        for bad in ["", "٣", "١٢٣", "１２３", "12a", "-1", "+1", " 1", "1 ", "1.0", "me", "123456789012345678901"] {
            #expect(!AccountId.isValid(bad), "\(bad)")
        }
    }

    @Test("a JWT whose account_id is not ASCII digits is a malformed token, never a crash")
    func jwt() throws {
        #expect(try JWT.accountId(of: TestTokens.jwt(["account_id": "1234567890123456789"])) == "1234567890123456789")
        for claim in ["٣٣٣", "12a", "", "123456789012345678901"] as [Any] + [12345 as Any, true as Any, NSNull()] {
            do {
                _ = try JWT.accountId(of: TestTokens.jwt(["account_id": claim]))
                Issue.record("accepted \(claim)")
            } catch let error as PSNError {
                guard case .malformed(let endpoint, let detail) = error else {
                    Issue.record("wrong error \(error)")
                    continue
                }
                #expect(endpoint == "token")
                #expect(detail.contains("account_id"))
            }
        }
        #expect(throws: PSNError.self) { _ = try JWT.accountId(of: TestTokens.jwt(["sub": "1"])) }
        #expect(throws: PSNError.self) { _ = try JWT.accountId(of: "not-a-jwt") }
        #expect(throws: PSNError.self) { _ = try PushClient.authFrame(accountId: "٣", token: Secret("t"), tranId: 1) }
    }

    func frame(_ dataType: String, data: [String: Any]) throws -> String {
        let object: [String: Any] = [
            "version": "3.0", "method": 3001, "dataType": "psn:sessionManager:sys:\(dataType)",
            "body": ["data": data.merging(["sessionId": "11111111-1111-4111-8111-111111111111"]) { a, _ in a }],
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    func rejection(_ text: String) throws -> String? {
        let drafts = PushTranslator().drafts(forFrame: text, state: PartyProjection(), source: .sim)
        #expect(drafts.first?.type == "push.frame_received", "the raw frame is always kept")
        #expect(!drafts.contains { $0.type.hasPrefix("party.") }, "nothing of a rejected frame reaches the projection")
        guard let rejected = drafts.first(where: { $0.type == "push.frame_rejected" }) else { return nil }
        return try JSONDecoder().decode(PushFrameRejected.self, from: rejected.payload).reason
    }

    @Test("a push frame with a non-digit account id becomes push.frame_rejected naming the field")
    func pushFrames() throws {
        let good = ["accountId": "2234567890123456781", "onlineId": "alice", "platform": "PS5"]
        let members = try rejection(frame("v2:ps:members:created", data: ["members": [good, ["accountId": "٣٣٣", "onlineId": "x"]]]))
        #expect(members?.contains("body.data.members[1].accountId") == true, "\(members ?? "accepted")")
        let deleted = try rejection(frame("v2:ps:members:deleted", data: ["members": [["accountId": "12a"]]]))
        #expect(deleted?.contains("body.data.members[0].accountId") == true)
        let missing = try rejection(frame("v2:ps:m:customData4:updated", data: ["members": [["customData4": "AA=="]]]))
        #expect(missing?.contains("body.data.members[0].accountId") == true)
        let number = try rejection(frame("v2:ps:members:created", data: ["members": [["accountId": 1234]]]))
        #expect(number?.contains("body.data.members[0].accountId") == true)
        let owner = try rejection(frame("v2:ps:owner:updated", data: ["owner": ["accountId": "owner"]]))
        #expect(owner?.contains("body.data.owner.accountId") == true)
        let from = try rejection(frame(
            "v2:ps:customMessage:noSeq:created",
            data: ["customMessage": ["channel": "miranda:12", "payload": "AA=="],
                   "customProperties": ["from": ["accountId": "１２", "platform": "PS5"]]]))
        #expect(from?.contains("body.data.customProperties.from.accountId") == true)
        let list = try rejection(frame("v2:ps:members:created", data: ["members": "everyone"]))
        #expect(list?.contains("body.data.members") == true)
        // The good member alone is translated.
        let fine = PushTranslator().drafts(
            forFrame: try frame("v2:ps:members:created", data: ["members": [good]]), state: PartyProjection(), source: .sim)
        #expect(fine.map(\.type) == ["push.frame_received", "party.member_joined"])
    }

    @Test("invite refuses account ids that are not ASCII digits before sending anything")
    func invite() async throws {
        try await PSNSimulator.withRunning(configuration: simulatorConfiguration()) { simulator in
            let me = try ClientHarness(simulator: simulator)
            try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            let sessionId = try await me.client.parties.create()
            for bad in [["٣٣٣"], ["12a"], [], ["1", "me"]] {
                await #expect(throws: PSNError.self) {
                    try await me.client.parties.invite(sessionId, accountIds: bad)
                }
            }
            #expect(try me.events("party.invitation_sent").isEmpty)
            try await me.client.parties.invite(sessionId, accountIds: [TestAccounts.alice.accountId])
            #expect(try me.events("party.invitation_sent").count == 1)
            return ()
        }
    }
}
