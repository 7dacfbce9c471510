import Foundation
import HTTPTypes
import Hummingbird

/// sessionManager (B.1–B.10) and cpss partyInfo (B.8) endpoints.
extension SimulatorCore {
    static let sessionManager = "/api/sessionManager/v2"

    func addPartyRoutes(to router: Router<BasicRequestContext>) {
        let base = Self.sessionManager

        router.post("\(base)/partySessions") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                let body = try await HTTPIO.jsonBody(request)
                let sessionId = try self.withState { (s: inout CoreState) throws(APIError) -> String in
                    try s.createParty(caller: caller, body: body)
                }
                return HTTPIO.json(201, .object(["v2PartySessions": .array([.object(["sessionId": .string(sessionId)])])]))
            }
        }

        router.get("\(base)/partySessions") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                if let view = request.uri.queryParameters.get("view"), !["v1", "v3", "v1-all"].contains(view) {
                    throw .query("view")
                }
                let header = request.headers[values: HTTPIO.field("X-PSN-SESSION-MANAGER-SESSION-IDS")]
                    .joined(separator: ",")
                let ids = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                guard !ids.isEmpty else { throw .header("X-PSN-SESSION-MANAGER-SESSION-IDS") }
                return HTTPIO.json(200, self.withState { $0.partySessions(caller: caller, ids: ids) })
            }
        }

        router.patch("\(base)/partySessions/:sessionId") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                let sessionId = context.parameters.get("sessionId") ?? ""
                let body = try await HTTPIO.jsonBody(request)
                try self.withState { (s: inout CoreState) throws(APIError) in
                    try s.patchParty(caller: caller, sessionId: sessionId, body: body)
                }
                return HTTPIO.empty(204)
            }
        }

        router.post("\(base)/partySessions/:sessionId/members") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                let sessionId = context.parameters.get("sessionId") ?? ""
                let body = try await HTTPIO.jsonBody(request)
                guard body != nil else { throw .body("members") }
                try self.withState { (s: inout CoreState) throws(APIError) in
                    try s.joinParty(caller: caller, sessionId: sessionId, body: body)
                }
                return HTTPIO.empty(201)
            }
        }

        router.patch("\(base)/partySessions/:sessionId/members/:memberId") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                let sessionId = context.parameters.get("sessionId") ?? ""
                let memberId = context.parameters.get("memberId") ?? ""
                let body = try await HTTPIO.jsonBody(request)
                try self.withState { (s: inout CoreState) throws(APIError) in
                    try s.patchMember(caller: caller, sessionId: sessionId, memberId: memberId, body: body)
                }
                return HTTPIO.empty(204)
            }
        }

        router.delete("\(base)/partySessions/:sessionId/members/:memberId") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                let sessionId = context.parameters.get("sessionId") ?? ""
                let memberId = context.parameters.get("memberId") ?? ""
                _ = try? await HTTPIO.rawBody(request)
                try self.withState { (s: inout CoreState) throws(APIError) in
                    try s.leaveParty(caller: caller, sessionId: sessionId, memberId: memberId)
                }
                return HTTPIO.empty(204)
            }
        }

        router.post("\(base)/partySessions/:sessionId/invitations") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                let sessionId = context.parameters.get("sessionId") ?? ""
                let body = try await HTTPIO.jsonBody(request)
                try self.withState { (s: inout CoreState) throws(APIError) in
                    try s.invite(caller: caller, sessionId: sessionId, body: body)
                }
                return HTTPIO.empty(201)
            }
        }

        router.post("\(base)/partySessions/:sessionId/customMessage") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                let sessionId = context.parameters.get("sessionId") ?? ""
                let body = try await HTTPIO.jsonBody(request)
                try self.withState { (s: inout CoreState) throws(APIError) in
                    try s.customMessage(caller: caller, sessionId: sessionId, body: body)
                }
                return HTTPIO.empty(204)
            }
        }

        router.get("\(base)/users/:userId/partySessionsInvitations") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                let userId = context.parameters.get("userId") ?? ""
                guard userId == "me" || userId == caller.accountId else { throw .accessControl }
                return HTTPIO.json(200, self.withState { $0.invitationList(caller: caller) })
            }
        }

        router.post("\(base)/sys/gameBase/parties/bulkGet") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                var limit = 11
                if let raw = request.uri.queryParameters.get("limit") {
                    guard let n = Int(raw), (1...100).contains(n) else { throw .query("limit") }
                    limit = n
                }
                let body = try await HTTPIO.jsonBody(request)
                let result = try self.withState { (s: inout CoreState) throws(APIError) -> JSONValue in
                    try s.bulkGet(caller: caller, limit: limit, body: body)
                }
                return HTTPIO.json(200, result)
            }
        }

        router.get("/api/cpss/v1/partyInfo/:linkId") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let linkId = context.parameters.get("linkId") ?? ""
                let viewer = try? self.caller(request).accountId
                let info = try self.withState { (s: inout CoreState) throws(APIError) -> JSONValue in
                    try s.partyInfo(linkId: linkId, viewer: viewer)
                }
                var headers: HTTPFields = [:]
                headers[.accessControlAllowOrigin] = "*"
                headers[.cacheControl] = "max-age=0, no-cache, no-store"
                return HTTPIO.json(200, info, headers: headers, contentType: "application/json;charset=UTF-8")
            }
        }
    }
}
