import Foundation

/// The two header stacks of the official app (F.1): which one an endpoint uses decides its headers.
enum HeaderStack {
    /// create, join, PATCH, leave, bridges, customMessage, GET partySessions, rtcBridge.
    case core
    /// bulkGet, invitation list and most other APIs: tracing headers and a request id per call.
    case okhttp

    func headers(settings: PSNSettings, traceId: String, json: Bool, form: Bool = false) -> [(name: String, value: String)] {
        switch self {
        case .core:
            var headers: [(String, String)] = [("User-Agent", settings.userAgent.core), ("Connection", "Keep-Alive")]
            if json { headers.append(("Content-Type", "application/json; charset=utf-8")) }
            if form { headers.append(("Content-Type", "application/x-www-form-urlencoded")) }
            return headers
        case .okhttp:
            var headers: [(String, String)] = [
                ("user-agent", settings.userAgent.okhttp),
                ("x-psn-request-id", UUID().uuidString.lowercased()),
                ("x-psn-trace-id", traceId),
                ("x-psn-span-id", HeaderStack.hex(16)),
                ("x-psn-sampled", "0"),
                ("x-psn-app-ver", "PlayStationApp-Android/\(settings.appVersion)"),
            ]
            if json { headers.append(("content-type", "application/json")) }
            return headers
        }
    }

    /// `count` random lower-case hex characters.
    static func hex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement()! })
    }
}
