import Crypto
import Foundation
@testable import P2P
import Testing

@Suite("NAT filtering: the NAT byte (token flags, handshake payload), the relay test's decisions, the punch policy")
struct NATFilteringUnitTests {
    static let mappings: [NATMapping] = [.unknown, .endpointIndependent, .endpointDependent]
    static let filterings: [NATFiltering] = [.unknown, .endpointIndependent, .endpointDependent]

    @Test("every mapping × filtering round-trips through the handshake payload and the token; an old byte reads as filtering unknown")
    func roundTrip() throws {
        let candidate = Candidate(.serverReflexive, try UDPAddress(parsing: "198.18.1.2:4000"))
        for mapping in Self.mappings {
            for filtering in Self.filterings {
                let payload = HandshakePayload(timestamp: 7, natMapping: mapping, natFiltering: filtering, candidates: [candidate])
                let decoded = try HandshakePayload(decoding: payload.encoded)
                #expect(decoded.natMapping == mapping && decoded.natFiltering == filtering && decoded.candidates == [candidate])
                let token = PartyToken(expires: Date().addingTimeInterval(600), natMapping: mapping, natFiltering: filtering,
                                       publicKey: IdentityKey().publicKey, inviteSecret: Array(repeating: 9, count: 16),
                                       candidates: [candidate])
                let parsed = try PartyToken(parsing: token.text)
                #expect(parsed.natMapping == mapping && parsed.natFiltering == filtering)
            }
        }
        // What a round-3 engine sends: the mapping code alone.
        #expect(try NATBehaviour(code: 2, at: "x") == NATBehaviour(mapping: .endpointDependent, filtering: .unknown))
        #expect(NATBehaviour(mapping: .endpointDependent, filtering: .endpointIndependent).code == 0b0110)
    }

    @Test("a NAT byte with code 3 in a field or a high bit set is refused, saying which byte and why")
    func malformedByte() throws {
        let cases: [(UInt8, String)] = [(0x03, "mapping code 3"), (0x0C, "filtering code 3"), (0x0F, "mapping code 3"),
                                        (0x10, "unknown bits"), (0x85, "unknown bits")]
        for (code, reason) in cases {
            var bytes = HandshakePayload(timestamp: 1, natMapping: .endpointIndependent, candidates: []).encoded
            bytes[8] = code
            let error = #expect(throws: P2PError.self) { try HandshakePayload(decoding: bytes) }
            #expect(error?.message.contains("handshake payload byte 8") == true && error?.message.contains(reason) == true,
                    "0x\(String(code, radix: 16)): \(error?.message ?? "-")")
            let tokenError = #expect(throws: P2PError.self) { try PartyToken(parsing: Self.token(withFlags: code)) }
            #expect(tokenError?.message.contains("party token byte 1 (flags)") == true && tokenError?.message.contains(reason) == true,
                    "token 0x\(String(code, radix: 16)): \(tokenError?.message ?? "-")")
        }
        #expect(try PartyToken(parsing: Self.token(withFlags: 0x05)).natFiltering == .endpointIndependent)
    }

    /// A valid token whose flags byte (the NAT byte) is `flags`, its check recomputed.
    static func token(withFlags flags: UInt8) throws -> String {
        let token = PartyToken(expires: Date().addingTimeInterval(600), natMapping: .endpointIndependent,
                               publicKey: IdentityKey().publicKey, inviteSecret: Array(repeating: 1, count: 16),
                               candidates: [Candidate(.serverReflexive, try UDPAddress(parsing: "198.18.1.2:4000"))])
        var bytes = try Base32.decode(token.text.dropFirst(3))
        bytes.removeLast(4)
        bytes[1] = flags
        bytes += Array(SHA256.hash(data: bytes).prefix(4))
        return PartyToken.prefix + Base32.encode(bytes)
    }

    @Test("the test aims at the Allocate's mapped address, else a reflexive one of the relay's family; without a relay it is unknown")
    func plan() throws {
        let relay = try UDPAddress(parsing: "198.18.1.1:49160")
        let mapped = try UDPAddress(parsing: "198.18.2.2:40000")
        let reflexive = try UDPAddress(parsing: "198.18.2.2:40001")
        let v6 = try UDPAddress(parsing: "[2001:db8::2]:40000")
        #expect(FilteringTest.plan(relayed: nil, mapped: mapped, reflexive: [reflexive]) == .skip(reason: "no relay allocation"))
        #expect(FilteringTest.plan(relayed: relay, mapped: mapped, reflexive: [reflexive]) == .probe(target: mapped))
        #expect(FilteringTest.plan(relayed: relay, mapped: nil, reflexive: [v6, reflexive]) == .probe(target: reflexive))
        #expect(FilteringTest.plan(relayed: relay, mapped: v6, reflexive: [v6]) ==
                .skip(reason: "no server-reflexive address of the relay's IP family"))
        #expect(FilteringTest.Outcome.arrived.filtering == .endpointIndependent)
        #expect(FilteringTest.Outcome.notArrived.filtering == .endpointDependent)
        #expect(FilteringTest.Outcome.failed("403").filtering == .unknown)
        #expect(FilteringTest.probeWindow(rto: .milliseconds(100)) == .milliseconds(300))
    }

    @Test("only our own probe from our relay counts: another source, nonce or length does not; the inbox wakes the test")
    func probeMatching() async throws {
        let relay = try UDPAddress(parsing: "198.18.1.1:49160")
        let probe = FilteringProbe(relay: relay)
        #expect(probe.bytes.count == 17 && probe.bytes[0] == 0xA6)
        #expect(probe.matches(probe.bytes, from: relay))
        #expect(!probe.matches(probe.bytes, from: try UDPAddress(parsing: "198.18.1.1:49161")))
        #expect(!probe.matches(FilteringProbe(relay: relay).bytes, from: relay))
        #expect(!probe.matches(Array(probe.bytes.dropLast()), from: relay))
        let inbox = FilteringProbeInbox()
        #expect(!inbox.deliver(probe.bytes, from: relay), "nobody waits yet")
        let arrivals = inbox.expect(probe)
        #expect(!inbox.deliver(probe.bytes, from: try UDPAddress(parsing: "198.18.9.9:1")))
        #expect(inbox.deliver(probe.bytes, from: relay))
        var iterator = arrivals.makeAsyncIterator()
        #expect(await iterator.next() != nil)
        inbox.forget(probe)
        #expect(!inbox.deliver(probe.bytes, from: relay))
        #expect(await iterator.next() == nil, "forgetting ends the wait")
    }

    @Test("probes are openers in the opener phase and for a hard side facing a filtering peer, never toward an endpoint-independent one; the sweep waits for the hard side's probes when we let anyone in")
    func punchPolicy() {
        for filtering in Self.filterings {
            for phase in [false, true] {
                for hard in [false, true] {
                    let opener = PunchPolicy.probesAreOpeners(openerPhase: phase, hardTowardEasy: hard, peerFiltering: filtering)
                    #expect(opener == (filtering != .endpointIndependent && (phase || hard)), "\(filtering) \(phase) \(hard)")
                }
            }
        }
        let start = Duration.milliseconds(200)
        #expect(!PunchPolicy.sweepMayStart(sinceConnected: .milliseconds(100), startDelay: start, ourFiltering: .endpointDependent, fastPhaseOver: false))
        #expect(PunchPolicy.sweepMayStart(sinceConnected: .milliseconds(300), startDelay: start, ourFiltering: .endpointDependent, fastPhaseOver: false))
        #expect(PunchPolicy.sweepMayStart(sinceConnected: .milliseconds(300), startDelay: start, ourFiltering: .unknown, fastPhaseOver: false))
        #expect(!PunchPolicy.sweepMayStart(sinceConnected: .milliseconds(300), startDelay: start, ourFiltering: .endpointIndependent, fastPhaseOver: false))
        #expect(PunchPolicy.sweepMayStart(sinceConnected: .seconds(6), startDelay: start, ourFiltering: .endpointIndependent, fastPhaseOver: true))
    }
}
