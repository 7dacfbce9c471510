import Foundation
import P2P
import Testing

@Suite("Handshake (Noise-IK with a pre-shared key) and the encrypted transport")
struct HandshakeTests {
    let inviter = IdentityKey()
    let joiner = IdentityKey()
    let secret = (0..<16).map { _ in UInt8.random(in: 0...255) }

    func pair(psk: [UInt8]? = nil) throws -> (HandshakeResult, HandshakeResult) {
        let key = psk ?? secret
        let (initiator, first) = try InitiatorHandshake.start(
            identity: joiner, responderPublicKey: inviter.publicKey, psk: key, inviteID: 7, payload: Array("hello".utf8))
        let initiation = try ResponderHandshake.read(first, identity: inviter) { id, _ throws(HandshakeRejection) in
            guard id == 7 else { throw .unknownInvite }
            return key
        }
        #expect(initiation.initiatorPublicKey == joiner.publicKey)
        #expect(initiation.payload == Array("hello".utf8))
        let (responderResult, second) = try ResponderHandshake.respond(to: initiation, payload: Array("welcome".utf8))
        let initiatorResult = try initiator.finish(second)
        #expect(initiatorResult.peerPayload == Array("welcome".utf8))
        return (initiatorResult, responderResult)
    }

    @Test("both sides derive matching per-direction keys and the same friend key; data flows both ways")
    func keysMatch() throws {
        let (i, r) = try pair()
        #expect(i.sendKey == r.receiveKey && i.receiveKey == r.sendKey)
        #expect(i.sendKey != i.receiveKey, "a key per direction")
        #expect(i.friendKey == r.friendKey)
        var a = TransportSession(i)
        var b = TransportSession(r)
        let packet = try a.seal(Array("ping".utf8))
        #expect(packet.count == 4 + TransportSession.overhead)
        #expect(try b.open(packet) == Array("ping".utf8))
        #expect(try a.open(try b.seal(Array("pong".utf8))) == Array("pong".utf8))
    }

    @Test("a wrong invite secret, a tampered initiation or a tampered response fails to authenticate")
    func wrongSecret() throws {
        let (_, first) = try InitiatorHandshake.start(
            identity: joiner, responderPublicKey: inviter.publicKey, psk: secret, inviteID: 7, payload: [])
        #expect(throws: HandshakeRejection.decryptFailed) {
            try ResponderHandshake.read(first, identity: inviter) { _, _ throws(HandshakeRejection) in Array(repeating: 0, count: 16) }
        }
        for index in [2, 6, 20, 60, first.count - 1] {
            var tampered = first
            tampered[index] ^= 1
            #expect(throws: HandshakeRejection.self, "byte \(index)") {
                try ResponderHandshake.read(tampered, identity: inviter) { _, _ throws(HandshakeRejection) in self.secret }
            }
        }
        let (initiator, good) = try InitiatorHandshake.start(
            identity: joiner, responderPublicKey: inviter.publicKey, psk: secret, inviteID: 7, payload: [])
        let initiation = try ResponderHandshake.read(good, identity: inviter) { _, _ throws(HandshakeRejection) in self.secret }
        var (_, response) = try ResponderHandshake.respond(to: initiation, payload: [])
        response[response.count - 3] ^= 0x80
        #expect(throws: HandshakeRejection.decryptFailed) { try initiator.finish(response) }
        // A third party with another identity cannot read an initiation meant for the inviter.
        #expect(throws: HandshakeRejection.self) {
            try ResponderHandshake.read(good, identity: IdentityKey()) { _, _ throws(HandshakeRejection) in self.secret }
        }
    }

    @Test("tampered, replayed, reordered and too-old data packets: reordered accepted once, the rest rejected")
    func replayWindow() throws {
        let (i, r) = try pair()
        var a = TransportSession(i)
        var b = TransportSession(r)
        let packets = try (0..<10).map { try a.seal([UInt8($0)]) }
        // Reordered: 3, 1, 2, 0 all accepted once.
        for index in [3, 1, 2, 0] { #expect(try b.open(packets[index]) == [UInt8(index)]) }
        // Replayed.
        #expect(throws: TransportSession.Rejection.replayed) { try b.open(packets[1]) }
        // Tampered: one bit in the ciphertext, in the counter, in the index.
        var tampered = packets[5]
        tampered[14] ^= 1
        #expect(throws: TransportSession.Rejection.tampered) { try b.open(tampered) }
        var counter = packets[5]
        counter[12] ^= 1
        #expect(throws: TransportSession.Rejection.tampered) { try b.open(counter) }
        var index = packets[5]
        index[2] ^= 1
        #expect(throws: TransportSession.Rejection.malformed) { try b.open(index) }
        // The genuine packet 5 still opens after the forgeries (they did not move the window).
        #expect(try b.open(packets[5]) == [5])
        // Too old: push the window 3000 ahead.
        for _ in 0..<3000 { _ = try a.seal([]) }
        #expect(try b.open(try a.seal([42])) == [42])
        #expect(throws: TransportSession.Rejection.tooOld) { try b.open(packets[6]) }
    }

    @Test("the replay window accepts each counter once across wide, random reordering")
    func windowRandom() {
        var window = ReplayWindow()
        var accepted = Set<UInt64>()
        for _ in 0..<20000 {
            let counter = UInt64.random(in: 0..<6000)
            let refusal = window.check(counter)
            if refusal == nil {
                #expect(!accepted.contains(counter), "counter \(counter) accepted twice")
                window.accept(counter)
                accepted.insert(counter)
            } else if refusal == .replayed {
                #expect(accepted.contains(counter))
            } else {
                #expect(window.highest! - counter >= ReplayWindow.width)
            }
        }
    }

    @Test("rekey is due after N messages or M minutes")
    func rekeyDue() throws {
        let (i, _) = try pair()
        var a = TransportSession(i)
        #expect(!a.needsRekey(messages: 3, age: .seconds(60)))
        for _ in 0..<3 { _ = try a.seal([]) }
        #expect(a.needsRekey(messages: 3, age: .seconds(60)))
        let b = TransportSession(i)
        #expect(b.needsRekey(messages: 1000, age: .seconds(60), now: .now + .seconds(61)))
    }

    @Test("the identity key is created once in the data folder with mode 0600 and reloaded the same")
    func identityPersisted() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("p2p-id-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try IdentityKey.loadOrCreate(in: folder)
        let again = try IdentityKey.loadOrCreate(in: folder)
        #expect(first.publicKey == again.publicKey)
        let mode = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("p2p-identity.key").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: folder.appendingPathComponent("p2p-identity.key").path)
        #expect(throws: P2PError.self) { try IdentityKey.loadOrCreate(in: folder) }
    }
}
