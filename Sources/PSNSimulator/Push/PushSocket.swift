import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

/// The push WebSocket at `/np/pushNotification` (E.2–E.4).
extension SimulatorCore {
    static let pushPath = "/np/pushNotification"
    static let pushSubprotocol = "np-pushpacket"

    /// The `shouldUpgrade` hook of the HTTP server: accepts upgrades on the push path with any headers and echoes
    /// the `np-pushpacket` subprotocol when offered.
    func shouldUpgrade(head: HTTPRequest, channel: any Channel, logger: Logger) async throws
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        let path = head.path.map { String($0.split(separator: "?", maxSplits: 1).first ?? "") } ?? ""
        guard path == Self.pushPath else { return .dontUpgrade }
        var headers: HTTPFields = [:]
        let offered = head.headerFields[values: .secWebSocketProtocol]
            .flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if offered.contains(Self.pushSubprotocol) { headers[.secWebSocketProtocol] = Self.pushSubprotocol }
        let activity = InboundActivity()
        try await channel.pipeline.addHandler(InboundActivityHandler(activity: activity), position: .first).get()
        return .upgrade(headers) { inbound, outbound, _ in
            await self.servePushSocket(inbound: inbound, outbound: outbound, channel: channel, activity: activity)
        }
    }

    private enum PushTaskRole: Sendable { case reader, writer, watchdog }

    func servePushSocket(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel,
                         activity: InboundActivity) async {
        let limit = withState { $0.configuration.pushQueueLimit }
        let (commands, continuation) = AsyncStream.makeStream(
            of: PushCommand.self, bufferingPolicy: .bufferingOldest(limit))
        // Closed from the event loop later, never synchronously inside the state lock.
        let connectionId = withState {
            $0.registerConnection(continuation) { channel.eventLoop.execute { channel.close(promise: nil) } }
        }
        let interval = withState { $0.configuration.clientKeepAliveIntervalMs }
        activity.touch()
        await withTaskGroup(of: PushTaskRole.self) { group in
            group.addTask {
                await self.readPushFrames(inbound: inbound, connectionId: connectionId, continuation: continuation)
                return .reader
            }
            group.addTask {
                await Self.writePushFrames(commands: commands, outbound: outbound, channel: channel)
                return .writer
            }
            group.addTask {
                await Self.watchKeepAlive(activity: activity, intervalMs: interval, continuation: continuation)
                return .watchdog
            }
            while let finished = await group.next() {
                if finished == .reader { break }
            }
            group.cancelAll()
        }
        continuation.finish()
        if withState({ $0.connectionOverflowed(connectionId) }) {
            logger.warning("push socket dropped: its client left \(limit) frames unread", metadata: ["connection": "\(connectionId)"])
        }
        if let loss = withState({ $0.removeConnection(connectionId) }) {
            armPushLossTimer(accountId: loss.accountId, generation: loss.generation)
        }
    }

    /// Reads client frames: the first must be a valid 1003 auth frame (E.3).
    private func readPushFrames(inbound: WebSocketInboundStream, connectionId: UInt64,
                                continuation: AsyncStream<PushCommand>.Continuation) async {
        var authenticated = false
        var closing = false
        do {
            for try await message in inbound.messages(maxSize: 1 << 20) {
                if authenticated || closing { continue }
                guard case .text(let text) = message, let frame = try? JSONValue.parse(text),
                    frame["method"]?.intValue == 1003
                else {
                    closing = true
                    continuation.yield(.close(code: 4002, reason: "not authenticated"))
                    continue
                }
                let accountId: String? =
                    switch frame["accountId"] {
                    case .number(let digits): digits
                    case .string(let s): s
                    default: nil
                    }
                let token = frame["auth"]?["accessToken"]?.stringValue
                if let accountId, let token,
                    withState({ $0.authenticateConnection(connectionId, accountIdDigits: accountId, accessToken: token) })
                {
                    authenticated = true
                    logger.debug("push socket authenticated", metadata: ["accountId": .string(accountId)])
                } else {
                    closing = true
                    continuation.yield(.close(code: 4001, reason: "auth failed"))
                }
            }
        } catch {
            logger.debug("push socket read ended", metadata: ["error": .string("\(error)")])
        }
    }

    /// The only task that writes to the socket, so frames keep their order.
    private static func writePushFrames(commands: AsyncStream<PushCommand>, outbound: WebSocketOutboundWriter,
                                        channel: any Channel) async {
        for await command in commands {
            switch command {
            case .text(let text, let notBefore):
                if notBefore > .now { try? await Task.sleep(until: notBefore, clock: .continuous) }
                if Task.isCancelled { return }
                do { try await outbound.write(.text(text)) } catch { return }
            case .close(let code, let reason):
                try? await outbound.close(.unknown(code), reason: reason)
                // Give the client time to answer the close, then make sure the connection ends.
                try? await Task.sleep(for: .seconds(2))
                channel.close(promise: nil)
                return
            case .drop:
                channel.close(promise: nil)
                return
            }
        }
    }

    /// Closes with 1001 after 2 × interval without inbound traffic (E.4); never pings.
    private static func watchKeepAlive(activity: InboundActivity, intervalMs: Int,
                                       continuation: AsyncStream<PushCommand>.Continuation) async {
        let timeout = Duration.milliseconds(2 * max(1, intervalMs))
        while !Task.isCancelled {
            let deadline = activity.lastSeen.advanced(by: timeout)
            if ContinuousClock.now >= deadline {
                continuation.yield(.close(code: 1001, reason: "keepalive timeout"))
                return
            }
            do { try await Task.sleep(until: deadline, clock: .continuous) } catch { return }
        }
    }
}
