import Foundation
import PSNSimulator
import Testing

/// A push client that authenticates and then never reads again: plain POSIX TCP with a tiny receive buffer, so the
/// kernel holds little and the simulator's own per-socket queue has to take the rest.
private struct StalledPushSocket {
    let fd: Int32

    init(port: Int, authFrame: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestError("socket() failed: errno \(errno)") }
        var small: Int32 = 1024
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestError("connect() failed: errno \(errno)") }
        let upgrade = """
            GET /np/pushNotification HTTP/1.1\r
            Host: 127.0.0.1:\(port)\r
            Upgrade: websocket\r
            Connection: Upgrade\r
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
            Sec-WebSocket-Version: 13\r
            Sec-WebSocket-Protocol: np-pushpacket\r
            X-PSN-APP-TYPE: MOBILE_APP.PSAPP\r
            X-PSN-PROTOCOL-VERSION: 3.0\r
            \r

            """
        try send(Array(upgrade.utf8))
        // Read the 101 response, and nothing after it.
        var response: [UInt8] = []
        while !response.ends(with: Array("\r\n\r\n".utf8)) {
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { throw TestError("the upgrade response ended early") }
            response.append(byte)
        }
        guard String(decoding: response, as: UTF8.self).hasPrefix("HTTP/1.1 101") else {
            throw TestError("no upgrade: \(String(decoding: response, as: UTF8.self))")
        }
        // One masked text frame (RFC 6455 §5.2) with the 1003 auth message.
        let payload = Array(authFrame.utf8)
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        var frame: [UInt8] = [0x81, 0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try send(frame)
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw TestError("write() failed: errno \(errno)") }
            sent += n
        }
    }

    func close() { Glibc.close(fd) }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

@Suite("Push socket backpressure")
struct PushBackpressureTests {
    @Test("a client that stops reading is dropped once pushQueueLimit frames wait; the simulator keeps serving others")
    func stalledClientIsDropped() async throws {
        let config = Fixture.configuration { $0.pushQueueLimit = 8 }
        try await withSimulator(config) { c in
            let a = try await c.signIn(Fixture.a)
            let auth = #"{"version":"3.0","method":1003,"tranId":"1","accountId":\#(Fixture.a.accountId),"status":"active","auth":{"accessToken":"\#(a.access)"}}"#
            let stalled = try StalledPushSocket(port: c.port, authFrame: auth)
            defer { stalled.close() }
            try await c.waitForSockets(Fixture.a.accountId, atLeast: 1)
            // A reading client of the same account, to show only the stalled socket goes.
            let reader = try await c.push(Fixture.a, token: a.access)
            defer { reader.cancel() }
            let drain = Task { while await reader.next(timeout: .seconds(30)) != nil {} }
            defer { drain.cancel() }

            // 64 KiB frames for A, one after another (the admin API's raw push), until the stalled socket goes.
            let act = #"{"actor":"\#(Fixture.a.accountId)","action":"pushRaw","args":{"bytes":65536}}"#
            var rounds = 0
            while c.simulator.authenticatedPushSockets(accountId: Fixture.a.accountId) == 2 && rounds < 2000 {
                #expect(try await c.admin("act", act).status == 200)
                rounds += 1
            }
            // Dropped, not kept growing: the reader is still there.
            #expect(c.simulator.authenticatedPushSockets(accountId: Fixture.a.accountId) == 1, "after \(rounds) rounds")
            #expect(rounds > 0)
            // The stalled socket was closed by the server: reading now drains the kernel's bytes, then hits the end.
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var ended = false
            for _ in 0..<10_000 where !ended {
                let n = read(stalled.fd, &buffer, buffer.count)
                ended = n <= 0
            }
            #expect(ended)
        }
    }
}
