import HTTPTypes
import Hummingbird

/// OAuth (A.2–A.5) and account look-up (A.8) endpoints.
extension SimulatorCore {
    func addAuthRoutes(to router: Router<BasicRequestContext>) {
        router.get("/api/authz/v3/oauth/authorize") { request, _ -> Response in
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            let cookieHeader = request.headers[values: .cookie].joined(separator: "; ")
            let npsso = Encoding.cookie("npsso", in: cookieHeader)
            let rawQuery = request.uri.query ?? ""
            let outcome = self.withState { $0.authorize(query: query, rawQuery: rawQuery, npsso: npsso) }
            switch outcome {
            case .failure(let error):
                return HTTPIO.json(error.status, error.body, contentType: "application/json;charset=UTF-8")
            case .redirect(let location, let cid, let requestId):
                var headers: HTTPFields = [:]
                headers[.location] = location
                headers[HTTPIO.field("X-Psn-Request-Id")] = requestId
                headers[HTTPIO.field("X-RequestId")] = requestId
                headers[HTTPIO.field("X-Psn-Correlation-Id")] = cid
                headers[HTTPIO.field("X-CorrelationId")] = cid
                headers[.cacheControl] = "no-cache, no-store, max-age=0, must-revalidate"
                return HTTPIO.empty(302, headers: headers)
            }
        }

        router.post("/api/authz/v3/oauth/token") { request, _ -> Response in
            let bytes = (try? await HTTPIO.rawBody(request)) ?? []
            let form = Encoding.parseForm(String(decoding: bytes, as: UTF8.self))
            let authorization = request.headers[.authorization]
            let result = self.withState { $0.token(authorization: authorization, form: form) }
            var headers: HTTPFields = [:]
            headers[.cacheControl] = "no-store"
            switch result {
            case .success(let body):
                return HTTPIO.json(200, body, headers: headers, contentType: "application/json;charset=UTF-8")
            case .failure(let error):
                return HTTPIO.json(error.status, error.body, headers: headers,
                                   contentType: "application/json;charset=UTF-8")
            }
        }

        router.get("/api/v1/devices/accounts/me") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                return HTTPIO.json(200, .object(["accountId": .string(caller.accountId)]))
            }
        }

        router.get("/api/userProfile/v1/internal/users/:accountId/profiles") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                let requested = context.parameters.get("accountId") ?? ""
                let id = requested == "me" ? caller.accountId : requested
                guard Encoding.isAccountIdDigits(id) else { throw .path("accountId") }
                guard let account = self.withState({ $0.account(id) }) else { throw .notFound }
                return HTTPIO.json(
                    200,
                    .object([
                        "onlineId": .string(account.onlineId),
                        "personalDetail": .object([:]),
                    ]))
            }
        }
    }
}
