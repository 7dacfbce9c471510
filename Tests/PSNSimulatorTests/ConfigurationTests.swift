import Foundation
import PSNSimulator
import Testing

@Suite("Configuration and JSON")
struct ConfigurationTests {
    @Test("an empty JSON object decodes to the documented defaults; partial keys override")
    func defaults() throws {
        let empty = try JSONDecoder().decode(SimulatorConfiguration.self, from: Data("{}".utf8))
        #expect(empty == SimulatorConfiguration())
        #expect(empty.host == "127.0.0.1" && empty.port == 0)
        #expect(empty.clientId == "09515159-7237-4370-9b40-3806e67c0891")
        #expect(empty.redirectURIs == ["com.scee.psxandroid.scecompcall://redirect"])
        #expect(empty.accessTokenLifetimeSeconds == 3599 && empty.refreshTokenLifetimeSeconds == 5_183_999)
        #expect(empty.clientKeepAliveIntervalMs == 60_000)
        #expect(empty.pushQueueLimit == 1024)
        #expect(try JSONDecoder().decode(SimulatorConfiguration.self, from: Data(#"{"pushQueueLimit":16}"#.utf8)).pushQueueLimit == 16)
        #expect { try JSONDecoder().decode(SimulatorConfiguration.self, from: Data(#"{"pushQueueLimit":0}"#.utf8)) } throws: {
            "\($0)".contains("pushQueueLimit must be at least 1 (got 0)")
        }
        let partial = try JSONDecoder().decode(SimulatorConfiguration.self, from: Data(#"""
            {"seed":7,"accounts":[{"accountId":"1234567890123456789","onlineId":"x","npsso":"n"}],
             "faults":{"pushDelayMs":5,"httpFaults":[{"path":"/np/serveraddr","status":500}]}}
            """#.utf8))
        #expect(partial.seed == 7)
        #expect(partial.accounts.first?.platform == "MOBILE_APP")
        #expect(partial.faults.pushDelayMs == 5 && partial.faults.pushLossGraceSeconds == 30)
        #expect(partial.faults.httpFaults.first?.count == 1)
    }

    @Test("tls decodes from JSON, is off by default, and unreadable PEM files stop run() with invalidTLS")
    func tlsOption() async throws {
        #expect(SimulatorConfiguration().tls == nil && SimulatorConfiguration().scheme == "http")
        let decoded = try JSONDecoder().decode(SimulatorConfiguration.self, from: Data(#"""
            {"tls":{"certificateChainPath":"/nonexistent/server.pem","privateKeyPath":"/nonexistent/server.key"}}
            """#.utf8))
        #expect(decoded.tls == SimulatorTLS(
            certificateChainPath: "/nonexistent/server.pem", privateKeyPath: "/nonexistent/server.key"))
        #expect(decoded.scheme == "https")
        let simulator = PSNSimulator(configuration: decoded)
        await #expect {
            try await simulator.run()
        } throws: { error in
            if case .invalidTLS = error as? PSNSimulatorError { return true }
            return false
        }
        await #expect(throws: PSNSimulatorError.self) { try await simulator.waitUntilRunning() }
    }

    @Test("JSONValue keeps big integers and key order")
    func jsonExactness() throws {
        let text = #"{"b":18446744073709551615,"a":"\u00e9\n","c":[true,null,-1.5e3]}"#
        let value = try JSONValue.parse(text)
        #expect(value["b"] == .number("18446744073709551615"))
        #expect(value.objectValue?.keys == ["b", "a", "c"])
        #expect(try JSONValue.parse(value.serialized) == value)
        #expect(throws: JSONParseError.self) { try JSONValue.parse("{\"a\":}") }
    }
}
