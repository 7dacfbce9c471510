import Foundation
import PSN
import PartyBusCore

/// `/metrics` (Prometheus text format), `/livez` and `/readyz`.
enum HealthRoutes {
    static let routes: [ControlRoute] = [
        ControlRoute("GET", "/metrics", "Prometheus metrics (text format 0.0.4): events appended, append latency, PSN requests, push, voice, plugins.") { _, context in
            guard let metrics = context.metrics else {
                throw ControlAPIError(status: 503, message: "metrics are served by the daemon only: start `partybus up`")
            }
            return ControlResponse(
                status: 200, body: await metrics.render(context), stream: nil,
                contentType: "text/plain; version=0.0.4; charset=utf-8")
        },
        ControlRoute("GET", "/livez", "Liveness: 200 while the daemon answers.") { _, context in
            try .json(["live": true])
        },
        ControlRoute("GET", "/readyz", "Readiness: 200 when the log is open, we are signed in (or simulating) and push is connected; 503 with the reasons otherwise.") { _, context in
            var problems: [String] = []
            if context.inProcess { problems.append("no daemon is running (this answer comes from a CLI command)") }
            if let failure = context.log.writerFailure { problems.append("event log: \(failure)") }
            await context.caughtUp()
            let signedIn = (try? await context.client.tokens.currentTokens()) != nil
            if !signedIn && !context.simulated { problems.append("not signed in (partybus login)") }
            if context.status.current.push != "connected" { problems.append("push socket: \(context.status.current.push)") }
            struct Readiness: Encodable { var ready: Bool; var problems: [String] }
            return try .json(Readiness(ready: problems.isEmpty, problems: problems), status: problems.isEmpty ? 200 : 503)
        },
    ]
}
