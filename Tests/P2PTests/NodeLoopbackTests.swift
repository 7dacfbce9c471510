import Foundation
import P2P
import P2PLab
import PartyBusPluginAPI
import Testing

@Suite("P2P nodes on loopback: invitation, handshake, messages, friends, relay", .serialized)
struct NodeLoopbackTests {
    @Test("a token connects two nodes; messages flow both ways; the token cannot be used twice")
    func inviteAndTalk() async throws {
        let stunA = try await TestStunServer()
        let stunB = try await TestStunServer()
        let config = fastConfiguration(stun: [stunA.address, stunB.address])
        let alice = try await TestNode.loopback(config)
        let bob = try await TestNode.loopback(config)
        #expect(await alice.node.mapping == .endpointIndependent)
        let token = await alice.node.createToken()
        let peer = try await bob.node.add(token: token.text)
        #expect(peer == alice.node.peerID)
        let link = await bob.node.waitConnected(peer, timeout: .seconds(5))
        #expect(link?.path == "direct")
        #expect(await alice.node.waitConnected(bob.node.peerID, timeout: .seconds(5)) != nil)
        #expect(try await bob.node.send(topic: "chat", body: Array("hi alice".utf8), to: peer) == 1)
        #expect(try await alice.node.send(topic: "chat", body: Array("hi bob".utf8)) == 1)
        #expect(await alice.eventually { alice.messages.contains { $0.body == Array("hi alice".utf8) && $0.topic == "chat" } })
        let bobNow = bob
        #expect(await bobNow.eventually { bobNow.messages.contains { $0.body == Array("hi bob".utf8) } })
        // Single use, on the joiner's side …
        await #expect(throws: P2PError.self) { try await bob.node.add(token: token.text) }
        // … and on the inviter's: a third node with the same token is refused and counted.
        let carol = try await TestNode.loopback(config)
        _ = try await carol.node.add(token: token.text)
        #expect(await carol.node.waitConnected(peer, timeout: .seconds(2)) == nil)
        #expect(await alice.node.rejectionCounts()["handshake_invite_used", default: 0] >= 1)
        #expect(alice.payloads(P2PTokenRejected.self).contains { $0.reason == "invite_used" })
        // No event carries the token text, the invite secret or a key.
        let secretHex = token.inviteSecret.map { String(format: "%02x", $0) }.joined()
        for node in [alice, bob, carol] {
            for event in node.events {
                let text = String(decoding: event.payload, as: UTF8.self)
                #expect(!text.contains(token.text) && !text.contains(secretHex) && !text.contains(Base32.encode(token.inviteSecret)))
            }
        }
        for n in [alice, bob, carol] { await n.stop() }
        await stunA.stop()
        await stunB.stop()
    }

    @Test("an expired token is refused by the joiner; an invite that expired is refused by the inviter")
    func expiry() async throws {
        let config = fastConfiguration()
        let alice = try await TestNode.loopback(config)
        let bob = try await TestNode.loopback(config)
        let token = await alice.node.createToken(lifetime: .seconds(1))
        try await Task.sleep(for: .milliseconds(2100))
        await #expect(throws: P2PError.self) { try await bob.node.add(token: token.text) }
        #expect(await bob.eventually { bob.payloads(P2PTokenRejected.self).contains { $0.reason == "expired" } })
        for n in [alice, bob] { await n.stop() }
    }

    @Test("friends reconnect without a token after a restart; a stopped peer is noticed and comes back")
    func friendsReconnect() async throws {
        let config = fastConfiguration()
        let alice = try await TestNode.loopback(config)
        let bobFolder = FileManager.default.temporaryDirectory.appendingPathComponent("p2p-bob-\(UUID().uuidString)")
        var bob = try await TestNode.loopback(config, folder: bobFolder)
        let peer = try await bob.node.add(token: await alice.node.createToken().text)
        #expect(await bob.node.waitConnected(peer, timeout: .seconds(5)) != nil)
        await bob.node.waitUntilFriendsSaved()
        let friendsFile = bobFolder.appendingPathComponent("p2p-friends.json")
        let mode = try FileManager.default.attributesOfItem(atPath: friendsFile.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let bobID = bob.node.peerID
        await bob.stop()
        #expect(await alice.eventually(.seconds(6)) { await alice.node.peers().first?.state == "disconnected" })
        // Bob restarts on a new port with the same identity and friends file: no token.
        bob = try await TestNode.loopback(config, folder: bobFolder)
        #expect(bob.node.peerID == bobID)
        #expect(await bob.node.waitConnected(peer, timeout: .seconds(8)) != nil)
        #expect(await alice.node.waitConnected(bobID, timeout: .seconds(8)) != nil)
        #expect(try await alice.node.send(topic: "t", body: [1, 2, 3], to: bobID) == 1)
        let bobAgain = bob
        #expect(await bobAgain.eventually { bobAgain.messages.contains { $0.body == [1, 2, 3] } })
        // Forget: the link and the key go.
        try await bob.node.forget(peer: peer)
        #expect(await bob.node.peers().isEmpty)
        #expect(await bob.node.friendList().isEmpty)
        for n in [alice, bob] { await n.stop() }
    }

    @Test("links rekey after N messages without losing any")
    func rekey() async throws {
        var config = fastConfiguration()
        config.rekeyAfterMessages = 20
        let alice = try await TestNode.loopback(config)
        let bob = try await TestNode.loopback(config)
        let peer = try await bob.node.add(token: await alice.node.createToken().text)
        #expect(await bob.node.waitConnected(peer, timeout: .seconds(5)) != nil)
        for i in 0..<100 {
            _ = try await bob.node.send(topic: "n", body: [UInt8(i)], to: peer)
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await alice.eventually { alice.messages.count == 100 })
        #expect(Set(alice.messages.map { $0.body[0] }).count == 100)
        #expect(!bob.events(P2PRekeyed.eventType).isEmpty || !alice.events(P2PRekeyed.eventType).isEmpty)
        for n in [alice, bob] { await n.stop() }
    }

    @Test("tampered and replayed datagrams sent to a node are rejected and counted")
    func forgedPackets() async throws {
        let config = fastConfiguration()
        let alice = try await TestNode.loopback(config)
        let attacker = try await UDPSocket.bind(host: "127.0.0.1")
        let target = await alice.node.localCandidates[0].address
        // An initiation for an invite that does not exist, junk, a data packet for no session, a broken STUN message.
        let bogus = try InitiatorHandshake.start(identity: IdentityKey(), responderPublicKey: PeerID.key(alice.node.peerID),
                                                 psk: Array(repeating: 1, count: 16), inviteID: 99, payload: []).1
        attacker.send(bogus, to: target)
        attacker.send([0xA4] + Array(repeating: 0, count: 40), to: target)
        attacker.send([0x55, 1, 2], to: target)
        var stun = StunCodec.encode(StunMessage(method: .binding, messageClass: .success))
        stun[stun.count - 1] ^= 1
        attacker.send(stun, to: target)
        #expect(await alice.eventually {
            let counts = await alice.node.rejectionCounts()
            return counts["handshake_unknown_invite"] == 1 && counts["unknown_session"] == 1 && counts["unknown_packet"] == 1
                && counts["stun_malformed"] == 1
        })
        await attacker.close()
        await alice.stop()
    }

    @Test("through coturn on loopback: the relay is allocated and offered in the token", .enabled(if: Coturn.available, "needs Debian's coturn (scripts/install-deps.sh installs it)"))
    func relayCandidate() async throws {
        let coturn = try await Coturn()
        defer { coturn.stop() }
        let turn = TurnServer(address: coturn.addresses[0], username: Coturn.user, password: Coturn.password)
        let alice = try await TestNode.loopback(fastConfiguration(stun: coturn.addresses, turn: turn))
        let bob = try await TestNode.loopback(fastConfiguration(stun: coturn.addresses, turn: turn))
        #expect(await alice.node.relayFailure == nil)
        let token = await alice.node.createToken()
        #expect(token.candidates.contains { $0.kind == .relay })
        let peer = try await bob.node.add(token: token.text)
        #expect(await bob.node.waitConnected(peer, timeout: .seconds(5)) != nil)
        // A wrong password is refused by the server with a clear error.
        let wrong = try await TestNode.loopback(fastConfiguration(turn: TurnServer(address: coturn.addresses[0], username: Coturn.user, password: "nope")))
        #expect(await wrong.node.relayFailure?.contains("401") == true)
        for n in [alice, bob, wrong] { await n.stop() }
    }
}
