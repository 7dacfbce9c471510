@testable import P2P
import Testing

@Suite("Hard-NAT spray pieces: the port sweep and the NAT mapping in the handshake payload")
struct SprayUnitTests {
    @Test("a sweep hands out every port of the range exactly once, in batches, then is exhausted")
    func sweepCoversRange() {
        for range in [PortSweep.defaultRange, 1...1, 40000...40006, 1...65535] {
            var sweep = PortSweep(range: range)
            var seen = Set<Int>()
            var total = 0
            while !sweep.exhausted {
                let batch = sweep.next(100)
                #expect(!batch.isEmpty && batch.count <= 100)
                total += batch.count
                seen.formUnion(batch)
            }
            #expect(total == range.count, "\(range): \(total) ports handed out")
            #expect(seen.count == range.count && seen.allSatisfy(range.contains), "\(range): \(seen.count) distinct")
            #expect(sweep.next(100).isEmpty)
        }
    }

    @Test("two sweeps start at different places (a random order, not the same every time)")
    func sweepsDiffer() {
        var a = PortSweep(), b = PortSweep(), c = PortSweep()
        let (x, y, z) = (a.next(20), b.next(20), c.next(20))
        #expect(!(x == y && y == z))
    }

    @Test("the handshake payload carries the NAT mapping; a bad mapping code or a short payload is refused, saying where")
    func payloadMapping() throws {
        let candidate = Candidate(.serverReflexive, try UDPAddress(parsing: "198.18.1.2:4000"))
        for mapping in [NATMapping.endpointIndependent, .endpointDependent, .unknown] {
            let payload = HandshakePayload(timestamp: 42, natMapping: mapping, candidates: [candidate])
            let decoded = try HandshakePayload(decoding: payload.encoded)
            #expect(decoded.natMapping == mapping && decoded.timestamp == 42 && decoded.candidates == [candidate])
        }
        var bytes = HandshakePayload(timestamp: 1, natMapping: .endpointDependent, candidates: []).encoded
        bytes[8] = 7
        let badCode = #expect(throws: P2PError.self) { try HandshakePayload(decoding: bytes) }
        #expect(badCode?.message.contains("byte 8") == true)
        let short = #expect(throws: P2PError.self) { try HandshakePayload(decoding: Array(bytes.prefix(8))) }
        #expect(short?.message.contains("cut short") == true)
    }
}
