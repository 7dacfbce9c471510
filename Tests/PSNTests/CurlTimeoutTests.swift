import Foundation
import Glibc
@testable import PSN
import Testing

/// Curl reads a timeout of 0 ms as "none": sub-second timeouts must keep their milliseconds.
@Suite("Curl timeouts")
struct CurlTimeoutTests {
    @Test("durations become whole milliseconds, rounded up, never 0")
    func conversion() {
        #expect(CurlTimeout.milliseconds(.milliseconds(300)) == 300)
        #expect(CurlTimeout.milliseconds(.seconds(2)) == 2000)
        #expect(CurlTimeout.milliseconds(.milliseconds(1500)) == 1500)
        #expect(CurlTimeout.milliseconds(.microseconds(1500)) == 2)
        #expect(CurlTimeout.milliseconds(.nanoseconds(1)) == 1)
        #expect(CurlTimeout.milliseconds(.zero) == 1)
        #expect(CurlTimeout.milliseconds(.seconds(-5)) == 1)
        #expect(CurlTimeout.milliseconds(.seconds(Int64.max)) == Int.max)
    }

    @Test("a 300 ms request to a server that never answers ends with a timeout", .timeLimit(.minutes(1)))
    func subSecondTimeoutFires() async throws {
        let server = try SilentListener()
        defer { server.close() }
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let request = HTTPRequest(method: .GET, url: "http://127.0.0.1:\(server.port)/never", timeout: .milliseconds(300))
        await #expect {
            _ = try await client.send(request)
        } throws: { error in
            (error as? HTTPTransportError)?.isTimeout == true
        }
    }
}

/// A loopback TCP listener whose backlog accepts connections that are never read or answered.
private struct SilentListener {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        port = UInt16(bigEndian: address.sin_port)
    }

    func close() { _ = Glibc.close(descriptor) }
}

/// Answers from outside are bounded: a body longer than the client's limit fails the call with a clear error.
@Suite("Bounded HTTP responses")
struct BoundedResponseTests {
    @Test("a response body over maxResponseBytes fails with 'exceeded', not a growing buffer", .timeLimit(.minutes(1)))
    func oversizedBody() async throws {
        let server = try SilentListener()
        defer { server.close() }
        // One connection: a 200 with a 64 KiB body, more than the 1000 bytes the client accepts.
        let answered = Thread {
            let connection = accept(server.descriptor, nil, nil)
            guard connection >= 0 else { return }
            var request = [UInt8](repeating: 0, count: 4096)
            _ = read(connection, &request, request.count)
            let body = String(repeating: "y", count: 64 << 10)
            let response = "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
            _ = response.withCString { send(connection, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            Glibc.close(connection)
        }
        answered.start()
        var options = CurlHTTPClient.Options()
        options.maxResponseBytes = 1000
        let client = CurlHTTPClient(options: options)
        defer { client.shutdown() }
        await #expect {
            _ = try await client.send(HTTPRequest(method: .GET, url: "http://127.0.0.1:\(server.port)/big"))
        } throws: { error in
            "\(error)".contains("the response body exceeded 1000 bytes")
        }
    }
}
