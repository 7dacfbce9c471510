import Foundation
import Logging
import P2P
import PartyBusCore

/// The P2P node as a part of the daemon: runs the node, appends its `p2p.*` events and the messages peers send
/// (`p2p.message_received`), and follows the log for `p2p.send_requested` (how plugins send).
enum P2PService {
    static func run(node: P2PNode, log: EventLog, from firstSeq: UInt64, logger: Logger) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await node.run() }
            group.addTask {
                for await draft in node.events { _ = try await log.append(draft) }
            }
            group.addTask {
                for await message in node.messages {
                    let body = (try? JSONDecoder().decode(JSONValue.self, from: Data(message.body)))
                        ?? .string(String(decoding: message.body, as: UTF8.self))
                    _ = try await log.append(EventDraft(
                        stream: "p2p", payload: P2PMessageReceived(peer: message.peer, topic: message.topic, body: body)))
                }
            }
            group.addTask {
                for try await event in log.subscribe(from: firstSeq, filter: EventFilter(types: [P2PSendRequested.eventType])) {
                    guard let request = try? event.decode(P2PSendRequested.self) else { continue }
                    do {
                        let body = try JSONEncoder().encode(request.body)
                        try await node.send(topic: request.topic, body: Array(body), to: request.peer)
                    } catch {
                        _ = try await log.append(EventDraft(stream: "p2p", payload: P2PSendFailed(
                            peer: request.peer, topic: request.topic, reason: "\(error)", requestSeq: event.seq)))
                    }
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
        await node.shutdown()
    }
}
