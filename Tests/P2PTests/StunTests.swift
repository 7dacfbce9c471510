import P2P
import P2PLab
import Testing

/// A fast schedule for loopback tests (the RFC's 500 ms / 7 / 16 is the default).
let fastSchedule = StunRetransmission(initialRTO: .milliseconds(40), requestCount: 7, lastWaitMultiplier: 16)

@Suite("STUN client (RFC 8489)")
struct StunTests {
    @Test("XOR-MAPPED-ADDRESS decodes the RFC 5769 sample values, IPv4 and IPv6, and encodes them back")
    func xorAddressVectors() throws {
        let txid: [UInt8] = [0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae]
        let v4: [UInt8] = [0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43]
        let a4 = try StunAddressCodec.decodeXOR(v4, transactionID: txid, what: "XOR-MAPPED-ADDRESS")
        #expect(a4.description == "192.0.2.1:32853")
        #expect(StunAddressCodec.encodeXOR(a4, transactionID: txid) == v4)
        let v6: [UInt8] = [0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79,
                           0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9]
        let a6 = try StunAddressCodec.decodeXOR(v6, transactionID: txid, what: "XOR-MAPPED-ADDRESS")
        #expect(a6 == (try UDPAddress(parsing: "[2001:db8:1234:5678:11:2233:4455:6677]:32853")))
        #expect(StunAddressCodec.encodeXOR(a6, transactionID: txid) == v6)
    }

    @Test("a message with MESSAGE-INTEGRITY and FINGERPRINT round-trips; a wrong key or one flipped bit is rejected")
    func integrityAndFingerprint() throws {
        let key = StunCodec.longTermKey(username: "u", realm: "r", password: "p")
        let message = StunMessage(method: .allocate, messageClass: .request,
            attributes: [StunAttribute(type: StunAttributeType.username, value: Array("u".utf8))])
        let bytes = StunCodec.encode(message, integrityKey: key)
        let parsed = try StunCodec.parse(bytes, integrityKey: key)
        #expect(parsed.method == .allocate && parsed.messageClass == .request)
        #expect(parsed.transactionID == message.transactionID)
        #expect(throws: StunParseError.self) { try StunCodec.parse(bytes, integrityKey: Array(repeating: 1, count: 16)) }
        for index in [0, 3, 9, 25, bytes.count - 1] {
            var tampered = bytes
            tampered[index] ^= 0x04
            #expect(throws: StunParseError.self, "bit flipped at \(index)") { try StunCodec.parse(tampered) }
        }
    }

    @Test("garbage is rejected with what is wrong and at which byte")
    func strictParser() throws {
        let good = StunCodec.encode(StunMessage(method: .binding, messageClass: .request), fingerprint: false)
        func rejection(_ bytes: [UInt8]) -> StunParseError? {
            do { _ = try StunCodec.parse(bytes); return nil } catch let error as StunParseError { return error } catch { return nil }
        }
        #expect(rejection(Array(good.prefix(12)))?.reason.contains("shorter than the 20-byte header") == true)
        var badCookie = good
        badCookie[5] = 0
        #expect(rejection(badCookie)?.offset == 4)
        var badTop = good
        badTop[0] |= 0x80
        #expect(rejection(badTop)?.offset == 0)
        #expect(rejection(good + [0, 0, 0, 0])?.reason.contains("length field says 0") == true)
        // An attribute whose length runs past the end.
        var overrun = good + [0x80, 0x22, 0x00, 0x40, 1, 2, 3, 4]
        overrun[3] = 8
        let error = rejection(overrun)
        #expect(error?.offset == 20 && error?.reason.contains("runs past the end") == true, "\(String(describing: error))")
        // An XOR-MAPPED-ADDRESS with an unknown family.
        var family = good + [0x00, 0x20, 0x00, 0x08, 0x00, 0x07, 0, 0, 1, 2, 3, 4]
        family[3] = 12
        #expect(rejection(family)?.reason.contains("unknown address family") == true)
        // A FINGERPRINT that is not last.
        let fp = StunCodec.encode(StunMessage(method: .binding, messageClass: .request))
        var afterFP = fp + [0x80, 0x22, 0x00, 0x00]
        afterFP[3] = UInt8(afterFP.count - 20)
        #expect(rejection(afterFP)?.reason.contains("after FINGERPRINT") == true)
        // Random bytes never crash the parser.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var junk = (0..<Int.random(in: 0...120, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if junk.count >= 8 && Bool.random() { junk.replaceSubrange(4..<8, with: [0x21, 0x12, 0xa4, 0x42]) }
            _ = try? StunCodec.parse(junk)
        }
    }

    @Test("the retransmission schedule is the RFC's: RTO, 2·RTO … and Rm·RTO after the 7th send (39.5 s in all)")
    func rfcSchedule() {
        let waits = StunRetransmission.rfcDefault.waits
        #expect(waits.count == 7)
        #expect(waits.prefix(6).map { $0 / .milliseconds(1) } == [500, 1000, 2000, 4000, 8000, 16000])
        #expect(waits.last == .seconds(8))
        #expect(waits.reduce(.zero, +) == .milliseconds(39500))
    }

    @Test("a Binding request to a loopback server returns our address over IPv4 and IPv6")
    func bindingLoopback() async throws {
        for host in ["127.0.0.1", "::1"] {
            let server = try await TestStunServer(host: host)
            let client = try await StunTestClient(host: host, retransmission: fastSchedule)
            let mapped = try await client.client.binding(server: server.address)
            #expect(mapped == client.socket.localAddress, "\(host)")
            #expect(mapped.isIPv4 == (host == "127.0.0.1"))
            await client.stop()
            await server.stop()
        }
    }

    @Test("lost requests are retransmitted: a server that drops the first three answers the fourth")
    func retransmits() async throws {
        let server = try await TestStunServer(dropFirst: 3)
        let client = try await StunTestClient(retransmission: fastSchedule)
        let mapped = try await client.client.binding(server: server.address)
        #expect(mapped == client.socket.localAddress)
        #expect(server.requests == 4)
        await client.stop()
        await server.stop()
    }

    @Test("a silent server gets exactly Rc transmissions, then a timeout naming it")
    func timeout() async throws {
        let server = try await TestStunServer(dropFirst: 1000)
        let schedule = StunRetransmission(initialRTO: .milliseconds(10), requestCount: 5, lastWaitMultiplier: 4)
        let client = try await StunTestClient(retransmission: schedule)
        let error = await #expect(throws: P2PError.self) { try await client.client.binding(server: server.address) }
        #expect(error?.message.contains("\(server.address)") == true)
        #expect(error?.message.contains("5 transmissions") == true)
        try await Task.sleep(for: .milliseconds(100))
        #expect(server.requests == 5)
        await client.stop()
        await server.stop()
    }

    @Test("the NAT probe asks several servers: same mapping is endpoint-independent, a changing one dependent")
    func natProbe() async throws {
        let a = try await TestStunServer()
        let b = try await TestStunServer()
        let liar = try await TestStunServer(portShift: 7)
        let silent = try await TestStunServer(dropFirst: 1000)
        let client = try await StunTestClient(retransmission: StunRetransmission(initialRTO: .milliseconds(10), requestCount: 3, lastWaitMultiplier: 2))
        let same = await client.client.probe(servers: [a.address, b.address, silent.address])
        #expect(same.mapping == .endpointIndependent)
        #expect(same.reflexiveAddresses == [client.socket.localAddress])
        #expect(same.answers.map(\.server) == [a.address, b.address, silent.address])
        #expect(same.answers[2].error?.contains("did not answer") == true)
        let changing = await client.client.probe(servers: [a.address, liar.address])
        #expect(changing.mapping == .endpointDependent)
        #expect(changing.reflexiveAddresses.count == 2)
        let one = await client.client.probe(servers: [a.address, silent.address])
        #expect(one.mapping == .unknown)
        for s in [a, b, liar, silent] { await s.stop() }
        await client.stop()
    }

    @Test("coturn (a real STUN server, on loopback) answers our Binding request", .enabled(if: Coturn.available, "needs Debian's coturn (scripts/install-deps.sh installs it)"))
    func coturnBinding() async throws {
        let coturn = try await Coturn()
        defer { coturn.stop() }
        let client = try await StunTestClient(retransmission: fastSchedule)
        let mapped = try await client.client.binding(server: coturn.addresses[0])
        #expect(mapped == client.socket.localAddress)
        await client.stop()
    }
}
