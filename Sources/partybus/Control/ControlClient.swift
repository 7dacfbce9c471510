import Foundation
import PSN

/// Talks to a running daemon's control socket (`<data>/control.sock`) over HTTP.
struct ControlClient {
    let socketPath: String

    /// True when a daemon answers on the socket.
    var isReachable: Bool {
        FileManager.default.fileExists(atPath: socketPath) && UnixSocketStream.canConnect(socketPath)
    }

    /// Sends a request; returns the status and JSON body.
    func call(_ method: String, _ path: String, query: [String: [String]] = [:], body: Data? = nil) async throws -> (Int, Data) {
        var options = CurlHTTPClient.Options(unixSocketPath: socketPath)
        // The daemon's own answers (event ranges, exports' metadata) may be larger than PSN's; still bounded.
        options.maxResponseBytes = 256 << 20
        let http = CurlHTTPClient(options: options)
        let response: HTTPResponse
        do {
            response = try await http.send(HTTPRequest(
                method: HTTPRequest.Method(rawValue: method) ?? .GET, url: "http://localhost\(path)\(Self.queryString(query))",
                headers: [("Content-Type", "application/json")], body: body))
        } catch {
            throw ControlError("cannot reach the daemon at \(socketPath): \(error)")
        }
        return (response.status, response.body)
    }

    static func queryString(_ query: [String: [String]]) -> String {
        let pairs = query.sorted { $0.key < $1.key }.flatMap { key, values in
            values.map { "\(key)=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" }
        }
        return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
    }
}

/// A control request that failed; the message is the daemon's.
struct ControlError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
