import NIOCore
import Synchronization

/// When the socket last received any bytes (pings, pongs, text, close): the E.4 liveness signal.
final class InboundActivity: Sendable {
    private let last = Mutex(ContinuousClock.now)

    func touch() { last.withLock { $0 = .now } }

    var lastSeen: ContinuousClock.Instant { last.withLock { $0 } }
}

/// Sits first in the channel pipeline and marks every inbound read as activity. It sees raw bytes, so WebSocket
/// control frames that the WebSocket library answers internally (pings) still count.
final class InboundActivityHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let activity: InboundActivity

    init(activity: InboundActivity) { self.activity = activity }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        activity.touch()
        context.fireChannelRead(data)
    }
}
