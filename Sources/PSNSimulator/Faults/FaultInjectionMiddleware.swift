import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Answers matching requests with an injected 5xx / 429 (H item 17), or a rule's verbatim body, before they reach
/// their route, and logs each request's method, path and status (never headers, query values or bodies, which may
/// carry secrets).
struct FaultInjectionMiddleware<Context: RequestContext>: RouterMiddleware {
    let core: SimulatorCore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let path = request.uri.path
        if !path.hasPrefix("/sim/"),
            let rule = core.withState({ $0.takeHTTPFault(method: request.method.rawValue, path: path) })
        {
            core.logger.debug("injected fault", metadata: ["path": .string(path), "status": .stringConvertible(rule.status)])
            if let body = rule.body {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let retry = rule.retryAfterSeconds { headers[.retryAfter] = String(retry) }
                return Response(
                    status: HTTPIO.status(rule.status), headers: headers,
                    body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
            }
            return core.errorResponse(.injected(status: rule.status, retryAfterSeconds: rule.retryAfterSeconds))
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // Unknown paths (e.g. the absent invitation decline endpoint) still get the F.3 body.
            return core.errorResponse(.notFound)
        }
        core.logger.trace(
            "request", metadata: ["method": .string(request.method.rawValue), "path": .string(path),
                                  "status": .stringConvertible(response.status.code)])
        return response
    }
}

extension CoreState {
    /// Consumes one use of the first matching HTTP fault rule and returns it.
    mutating func takeHTTPFault(method: String, path: String) -> HTTPFaultRule? {
        guard let index = faults.httpFaults.firstIndex(where: { $0.count > 0 && $0.matches(method: method, path: path) })
        else { return nil }
        let rule = faults.httpFaults[index]
        faults.httpFaults[index].count -= 1
        if faults.httpFaults[index].count <= 0 { faults.httpFaults.remove(at: index) }
        return rule
    }
}
