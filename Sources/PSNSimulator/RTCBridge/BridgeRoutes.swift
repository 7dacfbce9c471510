import HTTPTypes
import Hummingbird
import Logging

/// rtcBridge endpoints (psn-protocol.md C, H 12–14) under `/api/rtcBridge/v1`, plus the sessionManager link route
/// `POST /api/sessionManager/v2/partySessions/{id}/bridges` (B.9). Errors use the F.3 body:
///
/// - `POST /bridges` `{}` → `200 {"bridge":{"bridgeId","bridgeToken","bridgeHostingType"}}` (C.1)
/// - `GET /bridges/{bridgeId}?fields=peer.peerId` → `200 {"bridge":{"peers":[{"peerId"}]}}` (C.2)
/// - `POST /bridges/{bridgeId}/peers?allow_duid_duplication=false&g=2` mediaTypes → `201 {"peer":{"peerId","offer":{"sdp"}}}`;
///   `409` before the bridge is linked (switch `requireLinkBeforePeer`) (C.3, C.9)
/// - `POST /bridges/{bridgeId}/peers/{peerId}/offer` mediaTypes → `200 {"offer":{"sdp"}}` (C.4)
/// - `POST /bridges/{bridgeId}/peers/{peerId}/answer` `{"answer":{"sdp"}}` → `204`; second answer per offer `409`;
///   incomplete SDP `400 Bad Request (body: <missing attribute>)` (C.5)
/// - `DELETE /bridges/{bridgeId}/peers/{peerId}`, `DELETE /bridges/{bridgeId}` → `202` (C.7)
/// - `POST /api/sessionManager/v2/partySessions/{id}/bridges` `{"bridges":[{bridgeId, bridgeToken}]}` → `201`;
///   second linked bridge of the caller in the party `409 Upper limit exceeded` (B.9, C.9)
///
/// `X-PSN-BRIDGE-TOKEN` is required on peers/offer/answer/delete (`403`, switch `requireBridgeTokenHeader`) and
/// checked when present on GET. No trickle-ICE endpoint exists (C.6). Unknown, deleted or foreign ids → `404`.
/// Bridge tokens are secrets: they are never logged.
extension SimulatorCore {
    static let rtcBridge = "/api/rtcBridge/v1"
    static let bridgeTokenHeader = HTTPField.Name("X-PSN-BRIDGE-TOKEN")!

    func addBridgeRoutes(to router: Router<BasicRequestContext>) {
        let base = Self.rtcBridge

        router.post("\(base)/bridges") { request, _ -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                let body = try await HTTPIO.jsonBody(request)
                let created = try self.withState { (s: inout CoreState) throws(APIError) -> JSONValue in
                    try s.createBridge(caller: caller, body: body)
                }
                return HTTPIO.json(200, created)
            }
        }

        router.get("\(base)/bridges/:bridgeId") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let call = try self.bridgeCall(request, context)
                let peers = try self.withState { (s: inout CoreState) throws(APIError) -> JSONValue in
                    try s.bridgePeers(caller: call.caller, bridgeId: call.bridgeId, token: call.token)
                }
                return HTTPIO.json(200, peers)
            }
        }

        router.post("\(base)/bridges/:bridgeId/peers") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let call = try self.bridgeCall(request, context)
                let body = try await HTTPIO.jsonBody(request)
                var peer = try self.withState { (s: inout CoreState) throws(APIError) -> JSONValue in
                    try s.addPeer(caller: call.caller, bridgeId: call.bridgeId, token: call.token, body: body)
                }
                if let peerId = peer["peer"]?["peerId"]?.stringValue,
                    let sdp = await self.mediaBridgeOffer(bridgeId: call.bridgeId, peerId: peerId, renegotiation: false)
                {
                    peer = .object(["peer": .object(["peerId": .string(peerId), "offer": .object(["sdp": .string(sdp)])])])
                }
                return HTTPIO.json(201, peer)
            }
        }

        router.post("\(base)/bridges/:bridgeId/peers/:peerId/offer") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let call = try self.bridgeCall(request, context)
                let body = try await HTTPIO.jsonBody(request)
                var offer = try self.withState { (s: inout CoreState) throws(APIError) -> JSONValue in
                    try s.renewOffer(caller: call.caller, bridgeId: call.bridgeId, peerId: call.peerId, token: call.token, body: body)
                }
                if let sdp = await self.mediaBridgeOffer(bridgeId: call.bridgeId, peerId: call.peerId, renegotiation: true) {
                    offer = .object(["offer": .object(["sdp": .string(sdp)])])
                }
                return HTTPIO.json(200, offer)
            }
        }

        router.post("\(base)/bridges/:bridgeId/peers/:peerId/answer") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let call = try self.bridgeCall(request, context)
                let body = try await HTTPIO.jsonBody(request)
                let flag = try self.withState { (s: inout CoreState) throws(APIError) -> BridgeTimingFlag? in
                    try s.answerPeer(caller: call.caller, bridgeId: call.bridgeId, peerId: call.peerId, token: call.token, body: body)
                }
                if let flag { self.logTimingFlag(flag) }
                return HTTPIO.empty(204)
            }
        }

        router.delete("\(base)/bridges/:bridgeId/peers/:peerId") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let call = try self.bridgeCall(request, context)
                _ = try? await HTTPIO.rawBody(request)
                try self.withState { (s: inout CoreState) throws(APIError) in
                    try s.deletePeer(caller: call.caller, bridgeId: call.bridgeId, peerId: call.peerId, token: call.token)
                }
                return HTTPIO.empty(202)
            }
        }

        router.delete("\(base)/bridges/:bridgeId") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let call = try self.bridgeCall(request, context)
                _ = try? await HTTPIO.rawBody(request)
                try self.withState { (s: inout CoreState) throws(APIError) in
                    try s.deleteBridge(caller: call.caller, bridgeId: call.bridgeId, token: call.token)
                }
                return HTTPIO.empty(202)
            }
        }

        router.post("\(Self.sessionManager)/partySessions/:sessionId/bridges") { request, context -> Response in
            await self.respond { () throws(APIError) -> Response in
                let caller = try self.caller(request)
                let sessionId = context.parameters.get("sessionId") ?? ""
                let body = try await HTTPIO.jsonBody(request)
                let flags = try self.withState { (s: inout CoreState) throws(APIError) -> [BridgeTimingFlag] in
                    try s.linkBridges(caller: caller, sessionId: sessionId, body: body)
                }
                for flag in flags { self.logTimingFlag(flag) }
                return HTTPIO.empty(201)
            }
        }
    }

    /// What every rtcBridge route reads from its request: the authenticated caller, the ids in the path and the
    /// `X-PSN-BRIDGE-TOKEN` header (a secret: never logged).
    struct BridgeCall {
        let caller: SimulatedAccount
        let bridgeId: String
        let peerId: String
        let token: String?
    }

    func bridgeCall(_ request: Request, _ context: BasicRequestContext) throws(APIError) -> BridgeCall {
        BridgeCall(
            caller: try caller(request), bridgeId: context.parameters.get("bridgeId") ?? "",
            peerId: context.parameters.get("peerId") ?? "", token: request.headers[Self.bridgeTokenHeader])
    }

    /// Logs an H 14 timing flag (ids and elapsed time only; never the bridge token).
    func logTimingFlag(_ flag: BridgeTimingFlag) {
        logger.warning(
            "rtcBridge timing check failed",
            metadata: [
                "kind": .string(flag.kind), "accountId": .string(flag.accountId), "bridgeId": .string(flag.bridgeId),
                "peerId": .string(flag.peerId ?? "-"), "elapsedMs": .stringConvertible(flag.elapsedMs),
            ])
    }
}
