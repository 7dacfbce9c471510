import Hummingbird

/// `GET /np/serveraddr` (E.1): Bearer optional, `version` required.
extension SimulatorCore {
    func addServerAddrRoute(to router: Router<BasicRequestContext>) {
        router.get("/np/serveraddr") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                guard let version = request.uri.queryParameters.get("version"), !version.isEmpty else {
                    throw .query("version")
                }
                let (host, port, interval) = self.withState {
                    ($0.configuration.host, $0.boundPort, $0.configuration.clientKeepAliveIntervalMs)
                }
                return HTTPIO.json(
                    200,
                    .object([
                        "fqdn": .string("\(host):\(port)"),
                        "keepAliveStatus": .object(["clientKeepAliveInterval": .int(interval)]),
                    ]))
            }
        }
    }
}
