import HTTPTypes
import PSNSimulator
import Testing

@Suite("Push socket (H 8, 10)")
struct PushAuthTests {
    @Test("serveraddr returns fqdn and keepalive; missing version → 400")
    func serverAddr() async throws {
        let config = Fixture.configuration { $0.clientKeepAliveIntervalMs = 12_345 }
        try await withSimulator(config) { c in
            let r = try await c.request(.get, "/np/serveraddr?keepAliveStatusType=6&fields=keepAliveStatus&version=3.0")
            #expect(r.status == 200)
            #expect(r.json == .object([
                "fqdn": .string("127.0.0.1:\(c.port)"),
                "keepAliveStatus": .object(["clientKeepAliveInterval": .int(12_345)]),
            ]))
            let bad = try await c.request(.get, "/np/serveraddr?keepAliveStatusType=6")
            #expect(bad.status == 400)
            #expect(bad.json?["error"]?["message"] == .string("Bad Request (query: version)"))
        }
    }

    @Test("accountId above 2^53 as a JSON number is matched exactly; its Double neighbour fails with 4001")
    func bigAccountId() async throws {
        try await withSimulator { c in
            let tokens = try await c.signIn(Fixture.a)
            _ = try await c.push(token: tokens.access, accountIdLiteral: "1234567890123456789", waitForAuth: Fixture.a.accountId)
            #expect(c.simulator.authenticatedPushSockets(accountId: Fixture.a.accountId) == 1)
            let rounded = try await c.push(token: tokens.access, accountIdLiteral: "1234567890123456768")
            #expect(try await rounded.closeCode() == 4001)
            let asString = try await c.push(token: tokens.access, accountIdLiteral: "\"1234567890123456789\"")
            try await c.waitForSockets(Fixture.a.accountId, atLeast: 2)
            asString.cancel()
        }
    }

    @Test("a first frame other than 1003 → close 4002; a bad token → 4001")
    func badFirstFrame() async throws {
        try await withSimulator { c in
            let socket = PushClient.connect(port: c.port, firstFrame: #"{"version":"3.0","method":3001}"#)
            #expect(try await socket.closeCode() == 4002)
            let bad = try await c.push(token: "not-a-token", accountIdLiteral: Fixture.a.accountId)
            #expect(try await bad.closeCode() == 4001)
        }
    }

    @Test("no inbound traffic for 2 × keepalive interval → close 1001")
    func keepAliveTimeout() async throws {
        let config = Fixture.configuration { $0.clientKeepAliveIntervalMs = 150 }
        try await withSimulator(config) { c in
            let tokens = try await c.signIn(Fixture.a)
            let socket = try await c.push(token: tokens.access, accountIdLiteral: Fixture.a.accountId)
            #expect(try await socket.closeCode() == 1001)
        }
    }
}

@Suite("Push keepalive (E.4)")
struct PushKeepAliveTests {
    @Test("client pings count as inbound traffic: the socket outlives 2 × interval several times over")
    func pingsKeepAlive() async throws {
        let config = Fixture.configuration { $0.clientKeepAliveIntervalMs = 200 }
        try await withSimulator(config) { c in
            let tokens = try await c.signIn(Fixture.a)
            let frame = #"{"version":"3.0","method":1003,"tranId":"1","accountId":\#(Fixture.a.accountId),"status":"active","auth":{"accessToken":"\#(tokens.access)"}}"#
            let socket = PushClient.connect(port: c.port, firstFrame: frame, pingEvery: .milliseconds(100))
            try await c.waitForSockets(Fixture.a.accountId, atLeast: 1)
            // Without pings the server closes after 400 ms (see keepAliveTimeout); wait three times that.
            try await Task.sleep(for: .milliseconds(1200))
            #expect(c.simulator.authenticatedPushSockets(accountId: Fixture.a.accountId) == 1)
            socket.cancel()
        }
    }
}
