import Foundation
public import PSN
import PartyBusCore
import PartyVoice

/// The control API: every route, and dispatch of a request to its route with errors turned into JSON answers.
/// The HTTP server and the CLI's in-process fallback both go through `handle`, so they answer alike.
public enum ControlAPI {
    /// Every route, in the order the OpenAPI document lists them.
    public static let routes: [ControlRoute] =
        StatusRoutes.routes + PartyRoutes.routes + VoiceRoutes.routes + EventRoutes.routes + GraphRoutes.routes
        + RecordingRoutes.routes + HealthRoutes.routes + P2PRoutes.routes

    /// Answers one request. Never throws: failures become `{"error": …}` with a fitting status.
    public static func handle(_ request: ControlRequest, context: DaemonContext) async -> ControlResponse {
        var matchedPath = false
        for route in routes {
            guard let parameters = route.match(request.path) else { continue }
            matchedPath = true
            guard route.method == request.method else { continue }
            var routed = request
            routed.parameters = parameters
            do {
                return try await route.handler(routed, context)
            } catch {
                return answer(for: error)
            }
        }
        return matchedPath
            ? .error(405, "\(request.method) is not allowed on \(request.path)")
            : .error(404, "no route \(request.method) \(request.path) (see docs/control-api.md)")
    }

    /// The JSON error answer for an error.
    static func answer(for error: any Error) -> ControlResponse {
        switch error {
        case let error as ControlAPIError:
            return .error(error.status, error.message)
        case let error as PSNError:
            switch error {
            case .signInRequired, .invalidGrant:
                return .error(409, "\(error)")
            case .npssoRejected:
                return .error(400, "\(error)")
            case .configuration:
                return .error(400, "\(error)")
            case .http(let status, _, _, _, _) where status == 404:
                return .error(404, "\(error)")
            default:
                return .error(502, "\(error)")
            }
        case is CancellationError:
            return .error(503, "the daemon is stopping")
        default:
            return .error(500, "\(error)")
        }
    }
}
