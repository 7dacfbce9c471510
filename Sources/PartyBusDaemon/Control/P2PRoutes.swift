import Foundation
import P2P
import PartyBusCore

/// `/v1/p2p…`: the serverless party mode — our node, invitations (tokens), peers, messages.
enum P2PRoutes {
    /// The node as `GET /v1/p2p` shows it.
    struct NodeStatus: Encodable {
        let peer: String
        let candidates: [String]
        let natMapping: String
        let natFiltering: String
        let relay: String?
        let relayError: String?
        let peers: [PeerStatus]
        let rejected: [String: Int]
    }

    /// A new token.
    struct TokenAnswer: Encodable {
        let token: String
        let expiresAt: String
        let candidates: [String]
    }

    static let routes: [ControlRoute] = [
        ControlRoute("GET", "/v1/p2p", "Our P2P node: peer id, candidates, NAT mapping and filtering, relay, peers, rejected packets.") { _, context in
            let node = try node(context)
            await node.waitUntilReady()
            let candidates = await node.localCandidates
            return try .json(NodeStatus(
                peer: node.peerID, candidates: candidates.map(\.description), natMapping: await node.mapping.rawValue,
                natFiltering: await node.filtering.rawValue,
                relay: candidates.first { $0.kind == .relay }?.address.description, relayError: await node.relayFailure,
                peers: await node.peers(), rejected: await node.rejectionCounts()))
        },
        ControlRoute("POST", "/v1/p2p/token", "A one-time party token (pb1…); body {lifetimeSeconds?} (60…86400, default 3600).") { request, context in
            struct Body: Decodable { var lifetimeSeconds: Int? }
            let node = try node(context)
            let body = try request.decode(Body.self)
            if let seconds = body.lifetimeSeconds, !(60...86400).contains(seconds) {
                throw ControlAPIError.badRequest("request body: 'lifetimeSeconds' must be 60…86400")
            }
            await node.waitUntilReady()
            let token = await node.createToken(lifetime: body.lifetimeSeconds.map { .seconds($0) })
            return try .json(TokenAnswer(token: token.text, expiresAt: ISO8601DateFormatter().string(from: token.expires),
                                         candidates: token.candidates.map(\.description)), status: 201)
        },
        ControlRoute("GET", "/v1/p2p/peers", "Every P2P link: state, path (direct/relayed), address, friend, messages.") { _, context in
            try .json(await node(context).peers())
        },
        ControlRoute("POST", "/v1/p2p/peers", "Use a friend's token; body {token, waitSeconds?} (waits up to 0…30 s, default 10, for the link).") { request, context in
            struct Body: Decodable { var token: String; var waitSeconds: Int? }
            let node = try node(context)
            let body = try request.decode(Body.self)
            let wait = body.waitSeconds ?? 10
            guard (0...30).contains(wait) else { throw ControlAPIError.badRequest("request body: 'waitSeconds' must be 0…30") }
            await node.waitUntilReady()
            let peer: String
            do { peer = try await node.add(token: body.token) } catch let error as P2PError {
                throw ControlAPIError.badRequest(error.message)
            }
            if wait > 0, await node.waitConnected(peer, timeout: .seconds(wait)) == nil {
                throw ControlAPIError(status: 504, message: "peer \(peer) did not answer within \(wait) s (still trying; see GET /v1/p2p/peers)")
            }
            guard let status = await node.peers().first(where: { $0.peer == peer }) else {
                throw ControlAPIError.notFound("peer \(peer) is gone")
            }
            return try .json(status, status: 201)
        },
        ControlRoute("POST", "/v1/p2p/send", "Send a message; body {topic, body (any JSON), peer?} (no peer: every connected peer).") { request, context in
            struct Body: Decodable { var topic: String; var body: JSONValue; var peer: String? }
            struct Sent: Encodable { let sent: Int }
            let node = try node(context)
            let body = try request.decode(Body.self)
            do {
                let bytes = try JSONEncoder().encode(body.body)
                return try .json(Sent(sent: try await node.send(topic: body.topic, body: Array(bytes), to: body.peer)))
            } catch let error as P2PError {
                throw ControlAPIError.conflict(error.message)
            }
        },
        ControlRoute("DELETE", "/v1/p2p/peers/{peer}", "Forget a friend: drop its link and its key (a new token is needed to reconnect).") { request, context in
            struct Forgotten: Encodable { let peer: String; let forgotten: Bool }
            let node = try node(context)
            let peer = request.parameters["peer"] ?? ""
            do { try await node.forget(peer: peer) } catch let error as P2PError {
                throw ControlAPIError.notFound(error.message)
            }
            return try .json(Forgotten(peer: peer, forgotten: true))
        },
    ]

    static func node(_ context: DaemonContext) throws -> P2PNode {
        guard let node = context.p2p else {
            throw ControlAPIError.conflict(
                context.inProcess
                    ? "the P2P node runs only inside the daemon: start `partybus up` first"
                    : "P2P is disabled (p2p.enabled: false)")
        }
        return node
    }
}
