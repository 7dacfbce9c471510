import Foundation
import PartyBusTestSupport
import Testing

/// `partybus p2p …` as a user runs it: two `partybus up` daemons (built-in simulator, voice off) with P2P nodes on
/// loopback, every verb a separate CLI process talking to its daemon's control socket.
@Suite("partybus p2p between two daemons", .serialized)
struct P2PDaemonTests {
    final class Engine: Sendable {
        let dir: TemporaryDirectory
        let config: String
        let daemon: RunningPartybus

        init(_ name: String) async throws {
            dir = try TemporaryDirectory()
            config = dir.path("partybus.yaml")
            try """
                p2p:
                  enabled: true
                  listen: "127.0.0.1:0"
                  includeLoopback: true
                  keepaliveSeconds: 2
                  peerTimeoutSeconds: 6
                """.write(toFile: config, atomically: true, encoding: .utf8)
            daemon = try Engine.start(dir: dir, config: config)
            let socket = dir.path("data/sim/control.sock")
            let ready = await eventually(timeout: .seconds(40)) {
                FileManager.default.fileExists(atPath: socket) || !self.daemon.process.isRunning
            }
            #expect(ready && daemon.process.isRunning, "\(name) up: \(daemon.stderr.text)")
        }

        init(dir: TemporaryDirectory, config: String, daemon: RunningPartybus) {
            self.dir = dir
            self.config = config
            self.daemon = daemon
        }

        static func start(dir: TemporaryDirectory, config: String) throws -> RunningPartybus {
            try RunningPartybus(["up", "--no-scene", "--no-media", "--quiet", "--data-dir", dir.path("data"), "--config", config],
                                environment: ["PARTYBUS_VOICE__ENABLED": "false"])
        }

        func cli(_ arguments: [String]) throws -> PartybusProcess.Result {
            try PartybusProcess.run(arguments + ["--data-dir", dir.path("data"), "--config", config])
        }

        func json(_ arguments: [String]) throws -> Any {
            let result = try cli(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8), options: [.fragmentsAllowed])
        }

        func peers() throws -> [[String: Any]] { (try json(["p2p", "peers"]) as? [[String: Any]]) ?? [] }
        func node() throws -> [String: Any] { (try json(["p2p", "status"]) as? [String: Any]) ?? [:] }

        func exportedEvents() throws -> String { try cli(["events", "export", "--jsonl"]).stdout }
    }

    @Test("token, add, peers, send, restart (friends reconnect with no token), forget — all through the daemons' API")
    func twoDaemons() async throws {
        let alice = try await Engine("alice")
        var bob = try await Engine("bob")
        let aliceID = try #require(try alice.node()["peer"] as? String)

        let token = try alice.cli(["p2p", "token", "--plain"])
        #expect(token.status == 0, "\(token.stderr)")
        let text = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(text.hasPrefix("pb1") && text.count <= 160, "\(text)")

        let added = try bob.json(["p2p", "add", text]) as? [String: Any]
        #expect(added?["state"] as? String == "connected", "\(String(describing: added))")
        #expect(added?["peer"] as? String == aliceID)
        #expect(added?["path"] as? String == "direct")
        let bobID = try #require(try bob.node()["peer"] as? String)
        #expect(await eventually(timeout: .seconds(10)) { (try? alice.peers().first?["state"] as? String) == "connected" })

        // A token is single use: bob cannot use it again.
        let again = try bob.cli(["p2p", "add", text])
        #expect(again.status != 0 && again.stderr.contains("already used"), "\(again.stderr)")

        // Messages: bob → alice as JSON, alice → everyone as text.
        let sent = try bob.json(["p2p", "send", "--peer", aliceID, "chat", #"{"hello": "alice"}"#]) as? [String: Any]
        #expect((sent?["sent"] as? NSNumber)?.intValue == 1)
        #expect((try alice.json(["p2p", "send", "chat", "hi bob"]) as? [String: Any])?["sent"] as? NSNumber == 1)
        #expect(await eventually(timeout: .seconds(10)) { (try? alice.exportedEvents())?.contains(#""hello":"alice""#) == true })
        #expect(await eventually(timeout: .seconds(10)) { (try? bob.exportedEvents())?.contains(#""body":"hi bob""#) == true })

        // No event in either log holds the token.
        #expect(try !alice.exportedEvents().contains(text))
        #expect(try !bob.exportedEvents().contains(text))
        let keyMode = try FileManager.default.attributesOfItem(atPath: bob.dir.path("data/sim/p2p-identity.key"))[.posixPermissions] as? Int
        #expect(keyMode == 0o600)

        // Bob's daemon restarts: alice notices, and they reconnect with no token.
        #expect(await bob.daemon.stop() == 0)
        #expect(await eventually(timeout: .seconds(20)) { (try? alice.peers().first?["state"] as? String) == "disconnected" })
        bob = try await restarted(bob)
        #expect(await eventually(timeout: .seconds(30)) { (try? bob.peers().first?["state"] as? String) == "connected" })
        #expect(await eventually(timeout: .seconds(30)) { (try? alice.peers().first?["state"] as? String) == "connected" })
        #expect(try bob.node()["peer"] as? String == bobID, "same identity after the restart")

        // Forget: gone from bob's peers; an unknown peer is a clear 404.
        let forgotten = try bob.json(["p2p", "forget", aliceID]) as? [String: Any]
        #expect(forgotten?["forgotten"] as? Bool == true)
        #expect(try bob.peers().isEmpty)
        let unknown = try bob.cli(["p2p", "forget", aliceID])
        #expect(unknown.status != 0 && unknown.stderr.contains("no peer"), "\(unknown.stderr)")
        // A garbage token is refused with what is wrong.
        let garbage = try bob.cli(["p2p", "add", "pb1!!!"])
        #expect(garbage.status != 0 && garbage.stderr.contains("not base32"), "\(garbage.stderr)")

        #expect(await alice.daemon.stop() == 0)
        #expect(await bob.daemon.stop() == 0)
    }

    func restarted(_ engine: Engine) async throws -> Engine {
        let again = try Engine.start(dir: engine.dir, config: engine.config)
        let socket = engine.dir.path("data/sim/control.sock")
        #expect(await eventually(timeout: .seconds(40)) { FileManager.default.fileExists(atPath: socket) || !again.process.isRunning })
        return Engine(reusing: engine, daemon: again)
    }
}

extension P2PDaemonTests.Engine {
    convenience init(reusing engine: P2PDaemonTests.Engine, daemon: RunningPartybus) {
        self.init(dir: engine.dir, config: engine.config, daemon: daemon)
    }
}
