import PartyBusCore
@testable import PartyBusDaemon
import Testing

/// The TCP listener's guards: the bearer token comparison and which `api.listen` values are refused.
@Suite("TCP listener: bearer token and api.listen")
struct TCPAccessTests {
    @Test("constantTimeEqual is equality of byte strings, lengths included")
    func constantTimeEqual() {
        let token = Array("s3cret-token".utf8)
        #expect(BearerToken.constantTimeEqual(token, token))
        #expect(BearerToken.constantTimeEqual([], []))
        #expect(!BearerToken.constantTimeEqual(token, Array("s3cret-tokem".utf8)), "last byte differs")
        #expect(!BearerToken.constantTimeEqual(token, Array("X3cret-token".utf8)), "first byte differs")
        #expect(!BearerToken.constantTimeEqual(token, Array("s3cret".utf8)), "a prefix")
        #expect(!BearerToken.constantTimeEqual(token, token + [0]), "a NUL more")
        #expect(!BearerToken.constantTimeEqual([], [0]))
        // Lengths that differ by a multiple of 256, the extra bytes all zero.
        #expect(!BearerToken.constantTimeEqual([], [UInt8](repeating: 0, count: 256)))
        #expect(!BearerToken.constantTimeEqual(token, token + [UInt8](repeating: 0, count: 512)))
    }

    @Test("the Authorization header must be exactly 'Bearer <token>'")
    func accepts() {
        let bearer = BearerToken(Secret("s3cret-token"))
        #expect(bearer.accepts(authorization: "Bearer s3cret-token"))
        #expect(!bearer.accepts(authorization: nil))
        #expect(!bearer.accepts(authorization: ""))
        #expect(!bearer.accepts(authorization: "Bearer "))
        #expect(!bearer.accepts(authorization: "Bearer s3cret-token2"))
        #expect(!bearer.accepts(authorization: "Bearer s3cret-toke"))
        #expect(!bearer.accepts(authorization: "Basic s3cret-token"))
        #expect(!bearer.accepts(authorization: "s3cret-token"))
    }

    private func settings(_ listen: String, token: String? = nil) -> APISettings {
        var settings = APISettings()
        settings.listen = listen
        settings.token = token.map { Secret($0) }
        return settings
    }

    @Test("api.listen: loopback without a token, anything else only with one, garbage refused")
    func tcpAddress() throws {
        #expect(try settings("").tcpAddress() == nil)

        #expect(throws: APISettingsError.self) { try settings("0.0.0.0:8787").tcpAddress() }
        do {
            _ = try settings("0.0.0.0:8787").tcpAddress()
        } catch {
            #expect("\(error)".contains("api.token"), "\(error)")
            #expect("\(error)".contains("PARTYBUS_API__TOKEN"), "\(error)")
        }

        let loopback = try #require(try settings("127.0.0.1:8787").tcpAddress())
        #expect(loopback.host == "127.0.0.1" && loopback.port == 8787)
        let v6 = try #require(try settings("[::1]:1").tcpAddress())
        #expect(v6.host == "::1" && v6.port == 1)
        let named = try #require(try settings("localhost:8787").tcpAddress())
        #expect(named.host == "localhost")

        for lookalike in [
            "127.attacker.example:80", "127.0.0.1.nip.io:80", "127.+1.0.1:80", "127.0.0.-1:80", "192.168.1.2:8787",
            "[::]:8787", "example.com:443",
        ] {
            #expect(throws: APISettingsError.self, "\(lookalike)") { try settings(lookalike).tcpAddress() }
        }
        let anywhere = try #require(try settings("0.0.0.0:1", token: "s3cret-token").tcpAddress())
        #expect(anywhere.host == "0.0.0.0" && anywhere.port == 1)

        for garbage in ["abc", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:65536", ":8787"] {
            #expect(throws: APISettingsError.self, "\(garbage)") { try settings(garbage).tcpAddress() }
            do {
                _ = try settings(garbage).tcpAddress()
            } catch {
                #expect("\(error)".hasPrefix("api.listen"), "\(garbage): \(error)")
            }
        }
    }

    @Test("the api section is read from the configuration, a token from PARTYBUS_API__TOKEN")
    func fromConfig() throws {
        let loader = ConfigLoader(
            extraSections: [("api", APISettings.schema)],
            environment: ["PARTYBUS_API__LISTEN": "0.0.0.0:8787", "PARTYBUS_API__TOKEN": "s3cret-token"])
        let settings = APISettings.from(try loader.load(file: nil))
        #expect(settings.listen == "0.0.0.0:8787")
        #expect(settings.token?.reveal() == "s3cret-token")
        #expect(try settings.tcpAddress()?.port == 8787)
        let withoutToken = APISettings.from(try ConfigLoader(
            extraSections: [("api", APISettings.schema)], environment: ["PARTYBUS_API__LISTEN": "0.0.0.0:8787"]
        ).load(file: nil))
        #expect(withoutToken.token == nil)
        #expect(throws: APISettingsError.self) { try withoutToken.tcpAddress() }
    }
}
