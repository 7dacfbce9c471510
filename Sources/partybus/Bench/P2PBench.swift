import ArgumentParser
import Synchronization
import Foundation
import P2P
import P2PLab
import PartyBusPluginAPI

/// `partybus bench p2p`: handshake time, throughput and packet overhead between two P2P nodes on loopback, and with
/// `--nat` (root, iproute2, iptables, coturn) every NAT pair in network namespaces: success rate, time to connected
/// (median, p95), direct or relayed.
struct P2PBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "p2p", abstract: "P2P handshake time, throughput, packet overhead; --nat: every NAT pair in namespaces.")

    @Option(name: .long, help: "Handshakes to time (crypto alone and over UDP).") var handshakes = 200
    @Option(name: .long, help: "Seconds of the throughput run.") var seconds = 3
    @Option(name: .long, help: "Message size in bytes for the throughput run (≤ 1200).") var size = 1000
    @Flag(name: .long, help: "Also run the NAT matrix in network namespaces (needs root, iptables, coturn).") var nat = false
    @Option(name: .long, help: "Attempts per NAT pair.") var attempts = 5
    @Option(name: .long, help: "Only this NAT pair of the matrix, inviter,joiner (e.g. symmetric,full-cone); repeatable.")
    var pair: [String] = []

    func validate() throws {
        let kinds = NATKind.allCases.map(\.rawValue)
        for text in pair {
            let parts = text.split(separator: ",").map(String.init)
            guard parts.count == 2, parts.allSatisfy(kinds.contains) else {
                throw ValidationError("--pair '\(text)': expected inviter,joiner with each one of \(kinds.joined(separator: ", "))")
            }
        }
    }

    func run() async throws {
        #if DEBUG
        printError("warning: this is a debug build; run `swift run -c release partybus bench p2p`")
        #endif
        print("PartyBus P2P benchmark")
        try cryptoHandshakes()
        try await loopback()
        if nat { try await natMatrix() }
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    static func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }

    func cryptoHandshakes() throws {
        let responder = IdentityKey()
        let initiator = IdentityKey()
        let psk = (0..<16).map { _ in UInt8.random(in: 0...255) }
        var times: [Double] = []
        for _ in 0..<handshakes {
            let start = ContinuousClock.now
            let (state, first) = try InitiatorHandshake.start(identity: initiator, responderPublicKey: responder.publicKey,
                                                              psk: psk, inviteID: 1, payload: [])
            let initiation = try ResponderHandshake.read(first, identity: responder) { _, _ throws(HandshakeRejection) in psk }
            let (_, second) = try ResponderHandshake.respond(to: initiation, payload: [])
            _ = try state.finish(second)
            times.append(Self.ms(ContinuousClock.now - start))
        }
        print(String(format: "handshake crypto (both sides, %d runs): median %.3f ms, p95 %.3f ms", handshakes,
                     Self.percentile(times, 0.5), Self.percentile(times, 0.95)))
    }

    func node(_ config: P2PConfiguration) async throws -> (P2PNode, Task<Void, any Error>) {
        let (socket, hosts) = try await P2PNode.bind(host: "127.0.0.1", includeLoopback: true)
        let node = try P2PNode(socket: socket, identity: IdentityKey(), hostAddresses: hosts, configuration: config, dataFolder: nil)
        let task = Task { try await node.run() }
        await node.waitUntilReady()
        return (node, task)
    }

    func loopback() async throws {
        var config = P2PConfiguration()
        config.includeLoopback = true
        config.punchInterval = .milliseconds(100)
        let (inviter, inviterTask) = try await node(config)
        let drain = Task { for await _ in inviter.events {} }
        var times: [Double] = []
        let runs = min(handshakes, 50)
        for _ in 0..<runs {
            let (joiner, task) = try await node(config)
            let drainJoiner = Task { for await _ in joiner.events {} }
            let token = await inviter.createToken()
            let start = ContinuousClock.now
            let peer = try await joiner.add(token: token.text)
            guard await joiner.waitConnected(peer, timeout: .seconds(5)) != nil else { throw P2PError("handshake over UDP failed") }
            times.append(Self.ms(ContinuousClock.now - start))
            task.cancel()
            await joiner.shutdown()
            drainJoiner.cancel()
        }
        print(String(format: "token → connected over UDP on loopback (%d runs): median %.2f ms, p95 %.2f ms", runs,
                     Self.percentile(times, 0.5), Self.percentile(times, 0.95)))

        // Throughput: one direction, as fast as the receiver keeps up with (sender paced by its own actor).
        let (sender, senderTask) = try await node(config)
        let drainSender = Task { for await _ in sender.events {} }
        let peer = try await sender.add(token: await inviter.createToken().text)
        guard await sender.waitConnected(peer, timeout: .seconds(5)) != nil else { throw P2PError("no link for throughput") }
        let counter = ReceivedCounter()
        let counting = Task { for await message in inviter.messages where message.topic == "bench" { counter.add(message.body.count) } }
        let body = [UInt8](repeating: 0x5A, count: min(size, 1200))
        let start = ContinuousClock.now
        var sent = 0
        while ContinuousClock.now - start < .seconds(seconds) {
            for _ in 0..<64 { try await sender.send(topic: "bench", body: body, to: peer) }
            sent += 64
            await Task.yield()
        }
        try await Task.sleep(for: .milliseconds(300))
        let elapsed = Self.ms(ContinuousClock.now - start) / 1000
        let (messages, bytes) = counter.value
        print(String(format: "throughput, %d-byte messages: sent %d, received %d (%.1f %%), %.0f messages/s, %.1f MB/s of payload",
                     body.count, sent, messages, Double(messages) / Double(max(sent, 1)) * 100, Double(messages) / elapsed,
                     Double(bytes) / elapsed / 1e6))
        let topic = "bench"
        let overhead = TransportSession.overhead + 2 + topic.utf8.count
        print("packet overhead: \(TransportSession.overhead) bytes a packet (type 1, index 4, counter 8, tag 16) + 2 + topic (\(overhead) bytes for '\(topic)'); "
              + String(format: "%.1f %% of a %d-byte message", Double(overhead) / Double(body.count) * 100, body.count))
        counting.cancel()
        for task in [inviterTask, senderTask] { task.cancel() }
        await inviter.shutdown()
        await sender.shutdown()
        drain.cancel()
        drainSender.cancel()
    }

    func natMatrix() async throws {
        if let reason = NATLab.unavailableReason {
            print("NAT matrix skipped: \(reason)")
            return
        }
        let lab = NATLab()
        defer { lab.tearDown() }
        try await lab.build([.fullCone, .fullCone])
        print("\nNAT matrix (\(attempts) attempts per pair; inviter site 1, joiner site 2; coturn as STUN and relay)")
        print("inviter          joiner           success  median ms  p95 ms   direct: median ms  p95 ms  spray probes (median)  path (at most 16 s after connecting); filtering inviter/joiner")
        for a in NATKind.allCases {
            for b in NATKind.allCases where pair.isEmpty || pair.contains("\(a.rawValue),\(b.rawValue)") {
                try lab.setNAT(site: 1, a)
                try lab.setNAT(site: 2, b)
                var times: [Double] = []
                var directTimes: [Double] = []
                let sprayProbes = SprayProbeCounts()
                var paths: [String: Int] = [:]
                var filtering: [String: Int] = [:]
                for _ in 0..<attempts {
                    var config = P2PConfiguration()
                    config.stunServers = lab.stunServers
                    config.turn = lab.turn
                    config.punchInterval = .milliseconds(100)
                    config.retransmission = StunRetransmission(initialRTO: .milliseconds(100), requestCount: 5, lastWaitMultiplier: 4)
                    let (s1, h1) = try await lab.endpoint(site: 1)
                    let (s2, h2) = try await lab.endpoint(site: 2)
                    let inviter = try P2PNode(socket: s1, identity: IdentityKey(), hostAddresses: [h1], configuration: config, dataFolder: nil)
                    let joiner = try P2PNode(socket: s2, identity: IdentityKey(), hostAddresses: [h2], configuration: config, dataFolder: nil)
                    let tasks = [Task { try await inviter.run() }, Task { try await joiner.run() }]
                    // Each spray round's probe count (p2p.spray_finished), from either side.
                    let drains = [inviter.events, joiner.events].map { events in
                        Task {
                            for await event in events where event.type == P2PSprayFinished.eventType {
                                if let finished = try? JSONDecoder().decode(P2PSprayFinished.self, from: event.payload) {
                                    sprayProbes.add(finished.probes)
                                }
                            }
                        }
                    }
                    await inviter.waitUntilReady()
                    await joiner.waitUntilReady()
                    filtering["\(await inviter.filtering.rawValue)/\(await joiner.filtering.rawValue)", default: 0] += 1
                    let token = await inviter.createToken()
                    let start = ContinuousClock.now
                    let peer = try await joiner.add(token: token.text)
                    if await joiner.waitConnected(peer, timeout: .seconds(8)) != nil {
                        times.append(Self.ms(ContinuousClock.now - start))
                        // A relayed start may upgrade: wait for a direct path on both sides, up to 16 s (the hard-NAT
                        // spray's full sweep of 64512 ports at 100 probes / 20 ms takes ≤ 13 s).
                        let until = ContinuousClock.now + .seconds(16)
                        while ContinuousClock.now < until {
                            let joinerPath = await joiner.peers().first?.path
                            let inviterPath = await inviter.peers().first?.path
                            if joinerPath == "direct" && inviterPath == "direct" {
                                directTimes.append(Self.ms(ContinuousClock.now - start))
                                break
                            }
                            try await Task.sleep(for: .milliseconds(10))
                        }
                        let path = await joiner.peers().first?.path ?? "?"
                        paths[path, default: 0] += 1
                    }
                    for task in tasks { task.cancel() }
                    await inviter.shutdown()
                    await joiner.shutdown()
                    for drain in drains { drain.cancel() }
                }
                let pathText = paths.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                print(a.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0) + b.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)
                      + String(format: "%3d/%-3d  %9.0f  %6.0f   %17.0f  %6.0f  %21.0f  ", times.count, attempts, Self.percentile(times, 0.5),
                               Self.percentile(times, 0.95), Self.percentile(directTimes, 0.5), Self.percentile(directTimes, 0.95),
                               Self.percentile(sprayProbes.values, 0.5))
                      + pathText + "; " + filtering.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
        }
    }
}

/// Messages and bytes received, counted from the reading task.
final class ReceivedCounter: Sendable {
    private let state = Mutex<(Int, Int)>((0, 0))
    func add(_ bytes: Int) { state.withLock { $0.0 += 1; $0.1 += bytes } }
    var value: (Int, Int) { state.withLock { $0 } }
}

/// Probe counts of the hard-NAT spray rounds one NAT pair ran (from `p2p.spray_finished`).
final class SprayProbeCounts: Sendable {
    private let state = Mutex<[Double]>([])
    func add(_ probes: Int) { state.withLock { $0.append(Double(probes)) } }
    var values: [Double] { state.withLock { $0 } }
}
