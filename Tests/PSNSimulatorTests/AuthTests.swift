import Foundation
import HTTPTypes
import PSNSimulator
import Testing

@Suite("Auth (H 1–4)")
struct AuthTests {
    @Test("npsso → code → token → refresh, JWT claims, dms and profile")
    func fullFlow() async throws {
        try await withSimulator { c in
            let auth = try await c.authorize(npsso: Fixture.a.npsso)
            #expect(auth.status == 302)
            let location = try #require(auth.header("Location"))
            #expect(location.hasPrefix(Fixture.redirect + "/?code=v3."))
            let items = SimClient.queryItems(location)
            let code = try #require(items["code"])
            #expect(code.count == 9)
            #expect(items["cid"] == "cid-1")
            #expect(auth.header("X-Psn-Correlation-Id") == "cid-1")

            let redirect = Fixture.redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let token = try await c.tokenRequest(
                "token_format=jwt&grant_type=authorization_code&redirect_uri=\(redirect)&code=\(code)&cid=cid-1&extra=ignored")
            #expect(token.status == 200)
            let json = try #require(token.json)
            #expect(json["token_type"] == .string("bearer"))
            #expect(json["expires_in"]?.intValue == 3599)
            #expect(json["refresh_token_expires_in"]?.intValue == 5_183_999)
            #expect(json["scope"]?.stringValue != nil)
            #expect(json["id_token"]?.stringValue != nil)
            let access = try #require(json["access_token"]?.stringValue)
            let claims = try #require(decodeJWTClaims(access))
            #expect(claims["account_id"] == .string(Fixture.a.accountId))
            #expect(claims["device_type"] == .string("ANDROID_APP"))
            #expect(claims["client_id"] == .string(Fixture.clientId))
            let exp = try #require(claims["exp"]?.intValue)
            let iat = try #require(claims["iat"]?.intValue)
            #expect(exp - iat == 3600)

            let me = try await c.request(.get, "/api/v1/devices/accounts/me", headers: c.bearer(access))
            #expect(me.status == 200)
            #expect(me.json == .object(["accountId": .string(Fixture.a.accountId)]))
            let profile = try await c.request(
                .get, "/api/userProfile/v1/internal/users/\(Fixture.b.accountId)/profiles", headers: c.bearer(access))
            #expect(profile.json?["onlineId"] == .string(Fixture.b.onlineId))

            // Refresh: new token each time, old and new both valid, lifetime not extended.
            let refresh1 = try #require(json["refresh_token"]?.stringValue)
            let r1 = try await c.tokenRequest(
                "token_format=jwt&grant_type=refresh_token&scope=psn%3Amobile.v2.core+psn%3Aclientapp&refresh_token=\(refresh1)&cid=x&redirect_uri=y")
            #expect(r1.status == 200)
            let refresh2 = try #require(r1.json?["refresh_token"]?.stringValue)
            #expect(refresh2 != refresh1)
            #expect((r1.json?["refresh_token_expires_in"]?.intValue ?? .max) <= 5_183_999)
            let r2 = try await c.tokenRequest("grant_type=refresh_token&refresh_token=\(refresh1)")
            #expect(r2.status == 200)
            let r3 = try await c.tokenRequest("grant_type=refresh_token&refresh_token=\(refresh2)")
            #expect(r3.status == 200)
            let newAccess = try #require(r3.json?["access_token"]?.stringValue)
            let me2 = try await c.request(.get, "/api/v1/devices/accounts/me", headers: c.bearer(newAccess))
            #expect(me2.status == 200)
            let bad = try await c.tokenRequest("grant_type=refresh_token&refresh_token=nope")
            #expect(bad.status == 400)
            #expect(bad.json?["error"] == .string("invalid_grant"))
        }
    }

    @Test("unknown npsso → 302 to sign-in with error_code=4165; foreign redirect_uri → 400")
    func unknownNpsso() async throws {
        try await withSimulator { c in
            let r = try await c.authorize(npsso: "wrong")
            #expect(r.status == 302)
            let location = try #require(r.header("Location"))
            #expect(location.hasPrefix("https://my.account.sony.com/sonyacct/signin/?"))
            let items = SimClient.queryItems(location)
            #expect(items["error"] == "login_required")
            #expect(items["error_code"] == "4165")
            let none = try await c.authorize(npsso: nil)
            #expect(none.status == 302)
            #expect(SimClient.queryItems(none.header("Location") ?? "")["error_code"] == "4165")

            let foreign = try await c.authorize(npsso: Fixture.a.npsso, redirect: "http://127.0.0.1:9/cb")
            #expect(foreign.status == 400)
            #expect(foreign.json == .object([
                "error": .string("invalid_request"), "error_description": .string("redirect_uri mismatch"),
            ]))
        }
    }

    @Test("wrong Basic → 401 invalid_client; reused code and redirect mismatch → 400 invalid_grant")
    func tokenErrors() async throws {
        try await withSimulator { c in
            let redirect = Fixture.redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let code = SimClient.queryItems(try await c.authorize(npsso: Fixture.a.npsso).header("Location") ?? "")["code"]!
            let wrongBasic = "Basic " + Data("\(Fixture.clientId):nope".utf8).base64EncodedString()
            let unauthorized = try await c.tokenRequest(
                "grant_type=authorization_code&redirect_uri=\(redirect)&code=\(code)", basic: wrongBasic)
            #expect(unauthorized.status == 401)
            #expect(unauthorized.json?["error"] == .string("invalid_client"))

            let ok = try await c.tokenRequest("grant_type=authorization_code&redirect_uri=\(redirect)&code=\(code)")
            #expect(ok.status == 200)
            let reused = try await c.tokenRequest("grant_type=authorization_code&redirect_uri=\(redirect)&code=\(code)")
            #expect(reused.status == 400)
            #expect(reused.json?["error"] == .string("invalid_grant"))
            #expect(reused.json?["error_description"] == .string("Invalid authorization code"))

            let code2 = SimClient.queryItems(try await c.authorize(npsso: Fixture.a.npsso).header("Location") ?? "")["code"]!
            let mismatch = try await c.tokenRequest("grant_type=authorization_code&redirect_uri=other%3A%2F%2Fx&code=\(code2)")
            #expect(mismatch.status == 400)
            #expect(mismatch.json?["error_description"] == .string("redirect_uri mismatch"))
        }
    }

    @Test("expired access token → 401 F.3 on REST and close 4001 on push")
    func expiredToken() async throws {
        let config = Fixture.configuration {
            $0.accessTokenLifetimeSeconds = 2
            $0.fixedClockEpochMs = 1_700_000_000_000
        }
        try await withSimulator(config) { c in
            let tokens = try await c.signIn(Fixture.a)
            let live = try await c.request(.get, "/api/v1/devices/accounts/me", headers: c.bearer(tokens.access))
            #expect(live.status == 200)
            c.simulator.advanceClock(milliseconds: 2_500)
            let expired = try await c.request(.get, "/api/v1/devices/accounts/me", headers: c.bearer(tokens.access))
            #expect(expired.status == 401)
            let error = try #require(expired.json?["error"])
            #expect(error["code"]?.intValue == 9_900_401)
            #expect(error["message"] == .string("Unauthorized"))
            #expect(error["referenceId"]?.stringValue?.count == 36)
            let again = try await c.request(.post, "/api/sessionManager/v2/partySessions", headers: c.bearer(tokens.access), body: "{}")
            #expect(again.status == 401)
            #expect(again.json?["error"]?["referenceId"] != error["referenceId"])

            let socket = try await c.push(token: tokens.access, accountIdLiteral: Fixture.a.accountId)
            #expect(try await socket.closeCode() == 4001)
        }
    }
}
