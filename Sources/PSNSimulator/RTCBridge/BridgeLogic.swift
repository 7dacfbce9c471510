/// The rtcBridge state machine (psn-protocol.md C.1–C.9, B.9, H 12–14). REST state only.
extension CoreState {
    static let bridgeHostingType = "us1_uksaws_1"

    var bridgeNow: BridgeInstant { BridgeInstant(monotonic: .now, clockOffsetMs: clock.offsetMs) }

    /// Media address written into offers: the bind host when it is an IPv4 literal, else `127.0.0.1`.
    var bridgeMediaIP: String {
        let parts = configuration.host.split(separator: ".", omittingEmptySubsequences: false)
        let isIPv4 = parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
        return isIPv4 && configuration.host != "0.0.0.0" ? configuration.host : "127.0.0.1"
    }

    /// Compares two secrets without an early exit.
    static func secretsEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<min(x.count, y.count) { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// The caller's bridge (404 for unknown, deleted or someone else's), after the `X-PSN-BRIDGE-TOKEN` check:
    /// a wrong token is always `403`; a missing one is `403` when `tokenRequired` and `requireBridgeTokenHeader`.
    func ownedBridge(caller: SimulatedAccount, bridgeId: String, token: String?,
                     tokenRequired: Bool) throws(APIError) -> RTCBridge {
        guard let bridge = rtc.bridges[bridgeId], bridge.ownerAccountId == caller.accountId else { throw .notFound }
        if let token {
            guard Self.secretsEqual(token, bridge.bridgeToken) else { throw .accessControl }
        } else if tokenRequired && faults.requireBridgeTokenHeader {
            throw .accessControl
        }
        return bridge
    }

    /// Validates the C.3 / C.4 `mediaTypes` body.
    static func checkMediaTypes(_ body: JSONValue?) throws(APIError) {
        let root = try requireObject(body)
        guard let mediaTypes = root["mediaTypes"]?.objectValue else { throw .body("mediaTypes") }
        for kind in ["application", "audio"] {
            guard let value = mediaTypes[kind] else { continue }
            guard let media = value.objectValue else { throw .body(kind) }
            if let required = media["isRequired"], required.boolValue == nil { throw .body("isRequired") }
        }
        if let opus = mediaTypes["audio"]?["opus"] {
            guard let modes = opus.arrayValue, modes.allSatisfy({ $0.objectValue != nil }) else { throw .body("opus") }
        }
    }

    // MARK: Operations

    /// `POST /rtcBridge/v1/bridges` (C.1).
    mutating func createBridge(caller: SimulatedAccount, body: JSONValue?) throws(APIError) -> JSONValue {
        if let body, body != .null, body.objectValue == nil { throw .body("null") }
        rtc.creationCounter += 1
        let bridge = RTCBridge(
            bridgeId: ids.uuid(), bridgeToken: ids.opaque(43), ownerAccountId: caller.accountId, createdAt: bridgeNow,
            creationSequence: rtc.creationCounter)
        rtc.bridges[bridge.bridgeId] = bridge
        return .object([
            "bridge": .object([
                "bridgeId": .string(bridge.bridgeId),
                "bridgeToken": .string(bridge.bridgeToken),
                "bridgeHostingType": .string(Self.bridgeHostingType),
            ])
        ])
    }

    /// `GET /rtcBridge/v1/bridges/{bridgeId}?fields=peer.peerId` (C.2). The token header is optional here.
    func bridgePeers(caller: SimulatedAccount, bridgeId: String, token: String?) throws(APIError) -> JSONValue {
        let bridge = try ownedBridge(caller: caller, bridgeId: bridgeId, token: token, tokenRequired: false)
        return .object([
            "bridge": .object(["peers": .array(bridge.peers.map { .object(["peerId": .string($0.peerId)]) })])
        ])
    }

    /// Bridges (live ones plus unreleased holds) that occupy `accountId`'s slot in `sessionId`.
    func occupiedSlots(accountId: String, sessionId: String, excluding bridgeId: String) -> Int {
        let live = rtc.bridges.values.filter {
            $0.ownerAccountId == accountId && $0.linkedSessionId == sessionId && $0.bridgeId != bridgeId
        }.count
        let held = rtc.holds.filter { $0.accountId == accountId && $0.sessionId == sessionId && $0.releaseAtMs > nowMs }
        return live + held.count
    }

    /// `POST /sessionManager/v2/partySessions/{id}/bridges` (B.9): records the link. Re-linking a bridge to the
    /// same party is a no-op; a bridge linked elsewhere, or a second bridge of the caller in this party, is
    /// `409 Upper limit exceeded`. Returns timing flags (H 14) to log.
    mutating func linkBridges(caller: SimulatedAccount, sessionId: String,
                              body: JSONValue?) throws(APIError) -> [BridgeTimingFlag] {
        let party = try party(sessionId)
        guard party.isMember(caller.accountId) else { throw .notFound }
        let root = try Self.requireObject(body)
        guard let entries = root["bridges"]?.arrayValue, !entries.isEmpty else { throw .body("bridges") }
        var toLink: [String] = []
        for entry in entries {
            guard let bridgeId = entry["bridgeId"]?.stringValue, !bridgeId.isEmpty else { throw .body("bridgeId") }
            guard let token = entry["bridgeToken"]?.stringValue, !token.isEmpty else { throw .body("bridgeToken") }
            let bridge = try ownedBridge(caller: caller, bridgeId: bridgeId, token: token, tokenRequired: true)
            if bridge.linkedSessionId == sessionId || toLink.contains(bridgeId) { continue }
            guard bridge.linkedSessionId == nil else { throw .upperLimit }
            toLink.append(bridgeId)
        }
        let now = nowMs
        rtc.holds.removeAll { $0.releaseAtMs <= now }
        guard let first = toLink.first else { return [] }
        guard toLink.count == 1, occupiedSlots(accountId: caller.accountId, sessionId: sessionId, excluding: first) == 0
        else { throw .upperLimit }
        rtc.bridges[first]?.linkedSessionId = sessionId
        rtc.bridges[first]?.linkEtag = ids.hex(16)
        guard faults.bridgeTimingChecks, let bridge = rtc.bridges[first] else { return [] }
        let elapsed = bridge.createdAt.elapsedMs(until: bridgeNow)
        guard elapsed < Int64(faults.bridgeMinLinkDelayMs) else { return [] }
        let flag = BridgeTimingFlag(kind: "linkTooSoon", accountId: caller.accountId, bridgeId: first, peerId: nil,
                                    elapsedMs: elapsed)
        rtc.timingFlags.append(flag)
        return [flag]
    }

    /// `POST /rtcBridge/v1/bridges/{bridgeId}/peers` (C.3): `201 {"peer":{"peerId","offer":{"sdp"}}}`.
    mutating func addPeer(caller: SimulatedAccount, bridgeId: String, token: String?,
                          body: JSONValue?) throws(APIError) -> JSONValue {
        let bridge = try ownedBridge(caller: caller, bridgeId: bridgeId, token: token, tokenRequired: true)
        if faults.requireLinkBeforePeer {
            guard let sessionId = bridge.linkedSessionId, parties[sessionId]?.isMember(caller.accountId) == true else {
                throw .conflict("Bridge is not linked to a party")
            }
        }
        try Self.checkMediaTypes(body)
        let credentials = BridgePeerCredentials.generate(&ids)
        let sdp = BridgeSDP.offer(credentials, mediaIP: bridgeMediaIP, version: 2)
        let peer = BridgePeer(peerId: ids.uuid(), credentials: credentials, offerVersion: 2, offerSdp: sdp,
                              offeredAt: bridgeNow)
        rtc.bridges[bridgeId]?.peers.append(peer)
        return .object(["peer": .object(["peerId": .string(peer.peerId), "offer": .object(["sdp": .string(sdp)])])])
    }

    func peerIndex(_ bridge: RTCBridge, _ peerId: String) throws(APIError) -> Int {
        guard let index = bridge.peers.firstIndex(where: { $0.peerId == peerId }) else { throw .notFound }
        return index
    }

    /// `POST …/peers/{peerId}/offer` (C.4): a new offer (same per-peer credentials, `o=` version + 1) that can be
    /// answered once again.
    mutating func renewOffer(caller: SimulatedAccount, bridgeId: String, peerId: String, token: String?,
                             body: JSONValue?) throws(APIError) -> JSONValue {
        let bridge = try ownedBridge(caller: caller, bridgeId: bridgeId, token: token, tokenRequired: true)
        let index = try peerIndex(bridge, peerId)
        try Self.checkMediaTypes(body)
        var peer = bridge.peers[index]
        peer.offerVersion += 1
        peer.offerSdp = BridgeSDP.offer(peer.credentials, mediaIP: bridgeMediaIP, version: peer.offerVersion)
        peer.offeredAt = bridgeNow
        peer.answered = false
        rtc.bridges[bridgeId]?.peers[index] = peer
        return .object(["offer": .object(["sdp": .string(peer.offerSdp)])])
    }

    /// `POST …/peers/{peerId}/answer` (C.5): `204`; second answer to the same offer `409`; SDP without
    /// `a=fingerprint`, `a=ice-ufrag`, `a=ice-pwd` or `a=candidate` → `400 Bad Request (body: <first missing>)`.
    /// Returns a timing flag (H 14) to log, if any.
    mutating func answerPeer(caller: SimulatedAccount, bridgeId: String, peerId: String, token: String?,
                             body: JSONValue?) throws(APIError) -> BridgeTimingFlag? {
        let bridge = try ownedBridge(caller: caller, bridgeId: bridgeId, token: token, tokenRequired: true)
        let index = try peerIndex(bridge, peerId)
        guard !bridge.peers[index].answered else { throw .conflict("Offer already answered") }
        let root = try Self.requireObject(body)
        guard let answer = root["answer"]?.objectValue else { throw .body("answer") }
        guard let sdp = answer["sdp"]?.stringValue, !sdp.isEmpty else { throw .body("sdp") }
        switch BridgeSDP.checkAnswer(sdp) {
        case .none:
            break
        case .unparseable:
            throw APIError(
                status: 400, code: 9_900_400, message: "Bad Request (body: sdp)", reason: "InvalidSdp",
                details: .object([
                    "path": .string("answer.sdp"),
                    "failure": .string("not an SDP: must start with v=0 and every line must be <letter>=<value>"),
                ]))
        case .missing(let attributes):
            throw APIError(
                status: 400, code: 9_900_400, message: "Bad Request (body: \(attributes[0]))", reason: "InvalidSdp",
                details: .object([
                    "path": .string("answer.sdp"), "missing": .array(attributes.map { .string($0) }),
                ]))
        }
        rtc.bridges[bridgeId]?.peers[index].answered = true
        reportMedia(.bridgeAnswered(bridgeId: bridgeId, peerId: peerId, sdp: sdp))
        guard faults.bridgeTimingChecks else { return nil }
        let elapsed = bridge.peers[index].offeredAt.elapsedMs(until: bridgeNow)
        guard elapsed > Int64(faults.bridgeMaxAnswerDelayMs) else { return nil }
        let flag = BridgeTimingFlag(kind: "answerTooLate", accountId: caller.accountId, bridgeId: bridgeId,
                                    peerId: peerId, elapsedMs: elapsed)
        rtc.timingFlags.append(flag)
        return flag
    }

    /// `DELETE …/peers/{peerId}` (C.7): `202`; the id is `404` afterwards.
    mutating func deletePeer(caller: SimulatedAccount, bridgeId: String, peerId: String,
                             token: String?) throws(APIError) {
        let bridge = try ownedBridge(caller: caller, bridgeId: bridgeId, token: token, tokenRequired: true)
        let index = try peerIndex(bridge, peerId)
        rtc.bridges[bridgeId]?.peers.remove(at: index)
        reportMedia(.bridgePeerDeleted(bridgeId: bridgeId, peerId: peerId))
    }

    /// `DELETE /rtcBridge/v1/bridges/{bridgeId}` (C.7): `202`; the bridge, its peers and its token are gone.
    mutating func deleteBridge(caller: SimulatedAccount, bridgeId: String, token: String?) throws(APIError) {
        _ = try ownedBridge(caller: caller, bridgeId: bridgeId, token: token, tokenRequired: true)
        dropBridge(bridgeId)
    }

    /// Forgets a bridge; a linked one keeps its party slot for `bridgeReleaseDelaySeconds`.
    mutating func dropBridge(_ bridgeId: String) {
        guard let bridge = rtc.bridges.removeValue(forKey: bridgeId) else { return }
        reportMedia(.bridgeDeleted(bridgeId: bridgeId))
        let seconds = faults.bridgeReleaseDelaySeconds
        let delayMs = seconds.isFinite ? Int64(min(max(0, seconds), 1e9) * 1000) : 0
        if let sessionId = bridge.linkedSessionId, delayMs > 0 {
            rtc.holds.append(BridgeSlotHold(accountId: bridge.ownerAccountId, sessionId: sessionId,
                                            releaseAtMs: nowMs + delayMs))
        }
    }

    /// Deletes `accountId`'s bridges (and peers) linked to `sessionId` (leaving the party, G last note).
    mutating func removeBridges(ownedBy accountId: String, linkedTo sessionId: String) {
        let doomed = rtc.bridges.values.filter { $0.ownerAccountId == accountId && $0.linkedSessionId == sessionId }
        for bridge in doomed { dropBridge(bridge.bridgeId) }
    }

    /// The PartySession object (B.0) with `bridges` listing the live bridges linked to it (no tokens).
    func sessionObject(_ party: Party) -> JSONValue {
        guard var object = party.sessionObject.objectValue else { return party.sessionObject }
        let linked = rtc.bridges.values.filter { $0.linkedSessionId == party.sessionId }
            .sorted { $0.creationSequence < $1.creationSequence }
        object["bridges"] = .array(linked.map {
            .object(["bridgeId": .string($0.bridgeId), "bridgeEtag": .string($0.linkEtag ?? "")])
        })
        return .object(object)
    }

    /// Admin view (`GET /sim/admin/rtc`): bridges without their tokens, plus timing flags.
    func rtcAdminState() -> JSONValue {
        let bridges = rtc.bridges.values.sorted { $0.creationSequence < $1.creationSequence }.map { bridge in
            var o: JSONObject = [
                "bridgeId": .string(bridge.bridgeId), "ownerAccountId": .string(bridge.ownerAccountId),
            ]
            o["linkedSessionId"] = bridge.linkedSessionId.map { JSONValue.string($0) } ?? .null
            o["peers"] = .array(bridge.peers.map {
                .object(["peerId": .string($0.peerId), "offerVersion": .int($0.offerVersion),
                         "answered": .bool($0.answered)])
            })
            return JSONValue.object(o)
        }
        return .object([
            "bridges": .array(bridges),
            "timingFlagCount": .int(rtc.timingFlags.count),
            "timingFlags": .array(rtc.timingFlags.map(\.json)),
        ])
    }
}
