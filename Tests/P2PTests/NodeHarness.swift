import Foundation
import P2P
import P2PLab
import PartyBusPluginAPI
import Synchronization

/// A running P2P node for tests: its task, its events collected in order.
final class TestNode: Sendable {
    let node: P2PNode
    let task: Task<Void, any Error>
    let collected = Locked<[EventDraft]>([])
    let received = Locked<[ReceivedMessage]>([])
    private let readers: [Task<Void, Never>]
    let folder: URL

    init(socket: UDPSocket, hosts: [UDPAddress], configuration: P2PConfiguration, folder: URL? = nil,
         identity: IdentityKey? = nil, hostAddressSource: HostAddressSource? = nil) async throws
    {
        let folder = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("p2p-node-\(UUID().uuidString)")
        self.folder = folder
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let identity = try identity ?? IdentityKey.loadOrCreate(in: folder)
        let node = try P2PNode(socket: socket, identity: identity, hostAddresses: hosts, configuration: configuration,
                               dataFolder: folder, hostAddressSource: hostAddressSource)
        self.node = node
        task = Task { try await node.run() }
        let collected = self.collected
        let received = self.received
        readers = [
            Task { for await event in node.events { collected.withLock { $0.append(event) } } },
            Task { for await message in node.messages { received.withLock { $0.append(message) } } },
        ]
        await node.waitUntilReady()
    }

    /// A node on loopback.
    static func loopback(_ configuration: P2PConfiguration, folder: URL? = nil) async throws -> TestNode {
        var configuration = configuration
        configuration.includeLoopback = true
        let socket = try await UDPSocket.bind(host: "127.0.0.1")
        return try await TestNode(socket: socket, hosts: [socket.localAddress], configuration: configuration, folder: folder)
    }

    var events: [EventDraft] { collected.withLock { $0 } }
    func events(_ type: String) -> [EventDraft] { events.filter { $0.type == type } }
    func payloads<P: EventPayload>(_ type: P.Type) -> [P] {
        events(P.eventType).compactMap { try? JSONDecoder().decode(P.self, from: $0.payload) }
    }
    var messages: [ReceivedMessage] { received.withLock { $0 } }

    /// Waits until a condition holds (polling), false after the timeout.
    func eventually(_ timeout: Duration = .seconds(10), _ condition: @Sendable () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return await condition()
    }

    func stop() async {
        task.cancel()
        _ = await task.result
        await node.shutdown()
        for reader in readers { reader.cancel() }
    }
}

/// A loopback-fast configuration.
func fastConfiguration(stun: [UDPAddress] = [], turn: TurnServer? = nil) -> P2PConfiguration {
    var configuration = P2PConfiguration()
    configuration.stunServers = stun
    configuration.turn = turn
    configuration.retransmission = StunRetransmission(initialRTO: .milliseconds(100), requestCount: 5, lastWaitMultiplier: 4)
    configuration.punchInterval = .milliseconds(100)
    configuration.handshakeTimeout = .seconds(5)
    configuration.upgradeProbeInterval = .milliseconds(500)
    configuration.keepaliveInterval = .seconds(1)
    configuration.peerTimeout = .seconds(3)
    configuration.hostAddressCheckInterval = .seconds(1)
    return configuration
}

extension NATLab {
    /// A node in a site's host namespace; it lists that namespace's addresses again as a daemon lists its own.
    func node(site: Int, configuration: P2PConfiguration) async throws -> TestNode {
        let (socket, hostAddress) = try await endpoint(site: site)
        let port = hostAddress.port
        return try await TestNode(socket: socket, hosts: [hostAddress], configuration: configuration,
                                  hostAddressSource: { [self] in await self.hostAddresses(site: site, port: port) })
    }
}

/// A value behind a lock, shareable between tasks (a `Mutex` cannot be captured by copy).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
