import Foundation
import PSN

/// Talks to a running daemon's control socket (`<data>/control.sock`).
struct ControlClient {
    let socketPath: String

    /// Sends a request; returns the JSON body, or throws the daemon's error message.
    func call(_ method: HTTPRequest.Method, _ path: String, body: [String: Any]? = nil) async throws -> Data {
        guard FileManager.default.fileExists(atPath: socketPath) else {
            throw ControlError("no daemon is running for this data folder (no \(socketPath)); start one with `partybus up`")
        }
        let http = CurlHTTPClient(options: .init(unixSocketPath: socketPath))
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let response: HTTPResponse
        do {
            response = try await http.send(HTTPRequest(
                method: method, url: "http://localhost\(path)", headers: [("Content-Type", "application/json")], body: data))
        } catch {
            throw ControlError("cannot reach the daemon at \(socketPath): \(error)")
        }
        guard (200..<300).contains(response.status) else {
            let message = (try? JSONSerialization.jsonObject(with: response.body) as? [String: Any])?["error"] as? String
            throw ControlError(message ?? "the daemon answered HTTP \(response.status)")
        }
        return response.body
    }
}

/// A control request that failed; the message is the daemon's.
struct ControlError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
