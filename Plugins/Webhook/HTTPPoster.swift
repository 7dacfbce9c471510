import Foundation
import PartyBusPluginAPI

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// POSTs one body and returns the HTTP status. Foundation's `URLSession` runs the transfer on its own thread (libcurl
/// underneath on Linux), so no Swift concurrency thread blocks on the network. (`URLSession` is thread-safe.)
struct HTTPPoster: @unchecked Sendable {
    private let session: URLSession

    init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration)
    }

    /// Sends the request; throws a readable error when no HTTP answer came.
    func post(url: URL, headers: [String: String], body: Data, timeout: Duration) async throws -> (status: Int, retryAfter: Int?) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let response: URLResponse
        do {
            (_, response) = try await session.data(for: request)
        } catch let error as URLError {
            throw PluginError("no answer: \(error.localizedDescription) (URLError \(error.code.rawValue))")
        }
        guard let http = response as? HTTPURLResponse else { throw PluginError("no HTTP answer") }
        let retryAfter = (http.value(forHTTPHeaderField: "Retry-After")).flatMap { Int($0) }
        return (http.statusCode, retryAfter)
    }

    /// Ends the session.
    func close() { session.invalidateAndCancel() }
}
