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
/// buffered without end); sending is a non-blocking `sendto` on the event loop. No socket call runs on the
/// cooperative pool.
///
/// Sends bypass NIO's datagram writes on purpose: NIO closes a datagram channel on any write error but EMSGSIZE and
/// EHOSTUNREACH, and ENETUNREACH is what a send gets while the host changes address (no route for a moment) — the
/// node's socket died for good on a network change (measured in the namespaces). A failed send here is counted
/// and the socket keeps going.
public final class UDPSocket: DatagramSender, Sendable {
    /// Datagrams received, in arrival order; one consumer.
    public let received: AsyncStream<Datagram>
    /// The local address the socket is bound to.
    public let localAddress: UDPAddress
    private let channel: any Channel
    private let counters: Counters
    /// A duplicate of the socket's descriptor for sending (NIO owns the original); closed with the channel.
    private let sendDescriptor: CInt

    /// Receive-side counters.
    final class Counters: Sendable {
        let dropped = Atomic<Int>(0)
        let sendFailed = Atomic<Int>(0)
        /// Set (on the event loop) when the send descriptor is closed.
        let closed = Atomic<Bool>(false)
    }

    /// Datagrams dropped because the consumer fell behind (the stream holds at most `bufferLimit`).
    public var droppedCount: Int { counters.dropped.load(ordering: .relaxed) }

    /// Datagrams the kernel refused to send (no route, buffer full, closed).
    public var sendFailedCount: Int { counters.sendFailed.load(ordering: .relaxed) }

    /// How many received datagrams wait at most before new ones are dropped.
    public static let bufferLimit = 4096

    private init(channel: any Channel, received: AsyncStream<Datagram>, counters: Counters, sendDescriptor: CInt) throws {
        self.channel = channel
        self.received = received
        self.counters = counters
        self.sendDescriptor = sendDescriptor
        guard let local = channel.localAddress.flatMap(UDPAddress.init) else {
            throw P2PError("the UDP socket has no local address")
        }
        self.localAddress = local
    }

    /// Binds a socket on `host:port` (port 0 picks one).
    public static func bind(host: String, port: Int = 0, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> UDPSocket
    {
        let address = try SocketAddress(ipAddress: host, port: port)
        let family = address.protocol == .inet6 ? AF_INET6 : AF_INET
        let fd = Glibc.socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw P2PError("socket() failed: errno \(errno)") }
        var one: CInt = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
        let bound = address.withSockAddr { Glibc.bind(fd, $0, socklen_t($1)) }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw P2PError("cannot bind UDP \(host):\(port): errno \(code)")
        }
        return try await adopt(fileDescriptor: fd, group: group)
    }

    /// Wraps a socket already bound (e.g. created inside a network namespace by `NetworkNamespace`).
    public static func adopt(fileDescriptor: CInt, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> UDPSocket
    {
        let sendDescriptor = dup(fileDescriptor)
        guard sendDescriptor >= 0 else { throw P2PError("dup() of the UDP socket failed: errno \(errno)") }
        let (stream, continuation) = AsyncStream.makeStream(of: Datagram.self, bufferingPolicy: .bufferingNewest(bufferLimit))
        let counters = Counters()
        let bootstrap = DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DatagramForwarder(continuation: continuation, counters: counters))
                }
            }
        let channel: any Channel
        do { channel = try await bootstrap.withBoundSocket(fileDescriptor).get() } catch {
            Glibc.close(sendDescriptor)
            throw error
        }
        channel.closeFuture.whenComplete { _ in continuation.finish() }
        return try UDPSocket(channel: channel, received: stream, counters: counters, sendDescriptor: sendDescriptor)
    }

    public func send(_ bytes: [UInt8], to address: UDPAddress) {
        write(bytes, to: address, ttl: nil)
    }

    /// Sends with a one-off IP TTL (a hole-punching "opener" that opens our NAT but dies before the peer's NAT, so
    /// the peer's NAT keeps no unanswered entry that would make it change our peer's port). Socket option, write
    /// and reset run back to back on the event loop.
    public func send(_ bytes: [UInt8], to address: UDPAddress, ttl: Int) {
        write(bytes, to: address, ttl: address.isIPv4 ? ttl : nil)
    }

    private func write(_ bytes: [UInt8], to address: UDPAddress, ttl: Int?) {
        guard let remote = try? address.socketAddress() else {
            counters.sendFailed.add(1, ordering: .relaxed)
            return
        }
        let fd = sendDescriptor
        let counters = self.counters
        channel.eventLoop.execute {
            guard !counters.closed.load(ordering: .acquiring) else {
                counters.sendFailed.add(1, ordering: .relaxed)
                return
            }
            if let ttl {
                var value = CInt(ttl)
                _ = setsockopt(fd, CInt(IPPROTO_IP), IP_TTL, &value, socklen_t(MemoryLayout<CInt>.size))
            }
            let sent = bytes.withUnsafeBytes { buffer in
                remote.withSockAddr { sendto(fd, buffer.baseAddress, buffer.count, CInt(MSG_DONTWAIT), $0, socklen_t($1)) }
            }
            if ttl != nil {
                var normal: CInt = 64
                _ = setsockopt(fd, CInt(IPPROTO_IP), IP_TTL, &normal, socklen_t(MemoryLayout<CInt>.size))
            }
            if sent < 0 { counters.sendFailed.add(1, ordering: .relaxed) }
        }
    }

    /// Closes the socket; the received stream finishes.
    public func close() async {
        try? await channel.close()
        let fd = sendDescriptor
        let counters = self.counters
        // On the event loop, after every send queued before it: no send can use a reused descriptor number.
        try? await channel.eventLoop.submit {
            if !counters.closed.exchange(true, ordering: .acquiringAndReleasing) { Glibc.close(fd) }
        }.get()
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
