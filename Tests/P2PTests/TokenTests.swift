import Foundation
import P2P
import Testing

@Suite("Party tokens (pb1…)")
struct TokenTests {
    func sample(candidates: [Candidate], expires: Date = Date().addingTimeInterval(3600)) -> PartyToken {
        PartyToken(expires: expires, natMapping: .endpointIndependent,
                   publicKey: IdentityKey().publicKey, inviteSecret: (0..<16).map { _ in UInt8.random(in: 0...255) },
                   candidates: candidates)
    }

    @Test("a token round-trips: version, expiry, NAT mapping, key, secret, host/srflx/relay candidates, IPv4 and IPv6")
    func roundTrip() throws {
        let candidates = [
            Candidate(.host, try UDPAddress(parsing: "192.168.1.20:40000")),
            Candidate(.serverReflexive, try UDPAddress(parsing: "203.0.113.7:61000")),
            Candidate(.relay, try UDPAddress(parsing: "[2001:db8::1]:49160")),
        ]
        let token = sample(candidates: candidates)
        let text = token.text
        #expect(text.hasPrefix("pb1"))
        #expect(text.count <= 160, "\(text.count) characters")
        let parsed = try PartyToken(parsing: text)
        #expect(parsed.publicKey == token.publicKey)
        #expect(parsed.inviteSecret == token.inviteSecret)
        #expect(parsed.candidates == candidates)
        #expect(parsed.natMapping == .endpointIndependent)
        #expect(abs(parsed.expires.timeIntervalSince(token.expires)) < 1)
        #expect(try PartyToken(parsing: "  " + text.uppercased().replacingOccurrences(of: "PB1", with: "pb1") + "\n").inviteSecret == token.inviteSecret,
                "case-insensitive, whitespace trimmed")
    }

    @Test("too many candidates are trimmed to stay within 160 characters, relay and srflx kept first")
    func trimmed() throws {
        var candidates = (1...10).map { Candidate(.host, UDPAddress(ip: [10, 0, 0, UInt8($0)], port: 4000)!) }
        candidates.append(Candidate(.serverReflexive, try UDPAddress(parsing: "203.0.113.7:61000")))
        candidates.append(Candidate(.relay, try UDPAddress(parsing: "[2001:db8::1]:49160")))
        let token = sample(candidates: candidates)
        #expect(token.text.count <= 160)
        #expect(token.candidates.contains { $0.kind == .relay })
        #expect(token.candidates.contains { $0.kind == .serverReflexive })
        #expect(token.candidates.count < candidates.count)
        #expect(try PartyToken(parsing: token.text).candidates == token.candidates)
    }

    @Test("expired, altered, cut, foreign-version and non-base32 tokens are rejected with what is wrong")
    func rejected() throws {
        let candidates = [Candidate(.host, try UDPAddress(parsing: "127.0.0.1:5000"))]
        let expired = sample(candidates: candidates, expires: Date().addingTimeInterval(-5)).text
        #expect(throws: P2PError.self) { try PartyToken(parsing: expired) }
        do { _ = try PartyToken(parsing: expired) } catch let e as P2PError { #expect(e.message.contains("expired at")) }
        let good = sample(candidates: candidates).text
        var chars = Array(good)
        chars[20] = chars[20] == "a" ? "b" : "a"
        do { _ = try PartyToken(parsing: String(chars)); Issue.record("an altered token parsed") } catch let e as P2PError {
            #expect(e.message.contains("check failed"))
        }
        do { _ = try PartyToken(parsing: String(good.prefix(40))); Issue.record("a cut token parsed") } catch let e as P2PError {
            #expect(e.message.contains("cut short") || e.message.contains("check failed"))
        }
        do { _ = try PartyToken(parsing: "pb1abc!def"); Issue.record("'!' parsed") } catch let e as P2PError {
            #expect(e.message.contains("character 7"))
        }
        do { _ = try PartyToken(parsing: "xx1abc"); Issue.record("wrong prefix parsed") } catch let e as P2PError {
            #expect(e.message.contains("must start with 'pb1'"))
        }
        do { _ = try PartyToken(parsing: good + String(repeating: "a", count: 200)) } catch let e as P2PError {
            #expect(e.message.contains("more than 160"))
        }
        // Random junk after the prefix never crashes.
        for _ in 0..<500 {
            let junk = String((0..<Int.random(in: 0...150)).map { _ in "abcdefghijklmnopqrstuvwxyz234567".randomElement()! })
            _ = try? PartyToken(parsing: "pb1" + junk)
        }
    }
}
