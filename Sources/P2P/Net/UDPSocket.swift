public import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One datagram received: who sent it and its bytes.
public struct Datagram: Sendable {
    /// The sender.
    public let from: UDPAddress
    /// The payload.
    public let bytes: [UInt8]
}

/// Something that can send a datagram (the node's socket; a fake in tests).
public protocol DatagramSender: Sendable {
    /// Sends bytes to an address; never blocks (NIO queues the write on its event loop).
    func send(_ bytes: [UInt8], to address: UDPAddress)
}

/// A bound UDP socket on a NIO event loop: receiving yields into a bounded stream (drops are counted, never
/// buffered without end), sending is a non-blocking NIO write. No socket call runs on the cooperative pool.
public final class UDPSocket: DatagramSender, Sendable {
    /// Datagrams received, in arrival order; one consumer.
    public let received: AsyncStream<Datagram>
    /// The local address the socket is bound to.
    public let localAddress: UDPAddress
    private let channel: any Channel
    private let counters: Counters

    /// Receive-side counters.
    final class Counters: Sendable {
        let dropped = Atomic<Int>(0)
        let sendFailed = Atomic<Int>(0)
    }

    /// Datagrams dropped because the consumer fell behind (the stream holds at most `bufferLimit`).
    public var droppedCount: Int { counters.dropped.load(ordering: .relaxed) }

    /// How many received datagrams wait at most before new ones are dropped.
    public static let bufferLimit = 4096

    private init(channel: any Channel, received: AsyncStream<Datagram>, counters: Counters) throws {
        self.channel = channel
        self.received = received
        self.counters = counters
        guard let local = channel.localAddress.flatMap(UDPAddress.init) else {
            throw P2PError("the UDP socket has no local address")
        }
        self.localAddress = local
    }

    /// Binds a socket on `host:port` (port 0 picks one).
    public static func bind(host: String, port: Int = 0, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> UDPSocket
    {
        try await make(group: group) { try await $0.bind(host: host, port: port).get() }
    }

    /// Wraps a socket already bound (e.g. created inside a network namespace by `NetworkNamespace`).
    public static func adopt(fileDescriptor: CInt, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> UDPSocket
    {
        try await make(group: group) { try await $0.withBoundSocket(fileDescriptor).get() }
    }

    private static func make(
        group: any EventLoopGroup, _ open: (DatagramBootstrap) async throws -> any Channel
    ) async throws -> UDPSocket {
        let (stream, continuation) = AsyncStream.makeStream(of: Datagram.self, bufferingPolicy: .bufferingNewest(bufferLimit))
        let counters = Counters()
        let bootstrap = DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DatagramForwarder(continuation: continuation, counters: counters))
                }
            }
        let channel = try await open(bootstrap)
        channel.closeFuture.whenComplete { _ in continuation.finish() }
        return try UDPSocket(channel: channel, received: stream, counters: counters)
    }

    public func send(_ bytes: [UInt8], to address: UDPAddress) {
        guard let remote = try? address.socketAddress() else {
            counters.sendFailed.add(1, ordering: .relaxed)
            return
        }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let counters = self.counters
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer)).whenFailure { _ in
            counters.sendFailed.add(1, ordering: .relaxed)
        }
    }

    /// Sends with a one-off IP TTL (a hole-punching "opener" that opens our NAT but dies before the peer's NAT, so
    /// the peer's NAT keeps no unanswered entry that would make it change our peer's port). Socket option, write
    /// and reset run back to back on the event loop.
    public func send(_ bytes: [UInt8], to address: UDPAddress, ttl: Int) {
        guard address.isIPv4, let remote = try? address.socketAddress() else { return send(bytes, to: address) }
        let channel = self.channel
        let counters = self.counters
        channel.eventLoop.execute {
            let option = ChannelOptions.Types.SocketOption(level: .ip, name: NIOBSDSocket.Option(rawValue: IP_TTL))
            try? channel.syncOptions?.setOption(option, value: SocketOptionValue(ttl))
            var buffer = channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer)).whenFailure { _ in
                counters.sendFailed.add(1, ordering: .relaxed)
            }
            try? channel.syncOptions?.setOption(option, value: 64)
        }
    }

    /// Closes the socket; the received stream finishes.
    public func close() async {
        try? await channel.close()
    }
}

/// Hands each datagram to the socket's stream; counts what the bounded stream drops.
private final class DatagramForwarder: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let continuation: AsyncStream<Datagram>.Continuation
    let counters: UDPSocket.Counters

    init(continuation: AsyncStream<Datagram>.Continuation, counters: UDPSocket.Counters) {
        self.continuation = continuation
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let from = UDPAddress(envelope.remoteAddress) else { return }
        var buffer = envelope.data
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        if case .dropped = continuation.yield(Datagram(from: from, bytes: bytes)) {
            counters.dropped.add(1, ordering: .relaxed)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable and the like surface here for UDP; a datagram socket keeps going.
    }
}
