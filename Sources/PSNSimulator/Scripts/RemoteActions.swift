/// Scripted "remote members" (H item 18): one simulated account performs a party action without a token.
///
/// Actions and their `args`:
/// - `create`: `sessionName`, `maxMembers`, `joinableUserType`, `visibilityType`, `customData4` → `{sessionId, linkId}`
/// - `join`: `sessionId`, `customData4`, `ignoreAccessControl` (bool)
/// - `leave`: `sessionId`
/// - `patchMember`: `sessionId`, `customData3`, `customData4`, `voiceChatActivated`
/// - `patchParty`: `sessionId`, `sessionName`, `maxMembers`, `visibilityType`, `joinableUserType`
/// - `invite`: `sessionId`, `to` (array of account ids or online ids)
/// - `customMessage`: `sessionId`, `channel` (default `miranda:12`), `payload`, `to` (ids), `withoutSequenceNumber`;
///   without `payload` a valid D.5-style payload from the actor is built from `type` (default `offer`), `sdp`
///   (default `v=0\r\n`) and `globalSeqNum` (default 1), addressed to the first `to` entry
/// - `dropPush` / `closePush`: `code` (closePush; default 65535)
/// `sessionId` may be omitted or `$current` (the actor's newest party, else the newest party) or `$latest`.
extension CoreState {
    static let defaultCustomData4 = "WyIiLCIiLCIxIiwiMCIsIjYuMi4wIiwiMCIsIjAiLCIwIiwiIiwiIl0="

    func resolveSessionId(_ value: JSONValue?, actor: SimulatedAccount) -> String? {
        let raw = value?.stringValue ?? "$current"
        switch raw {
        case "$latest":
            return latestSessionId
        case "$current":
            let mine = parties.values.filter { $0.isMember(actor.accountId) }.max { $0.creationSequence < $1.creationSequence }
            return mine?.sessionId ?? latestSessionId
        default:
            return raw
        }
    }

    mutating func perform(actorName: String, action: String, args: JSONObject) throws(APIError) -> JSONValue {
        guard let actor = resolveActor(actorName) else { throw .body("actor") }
        func session() throws(APIError) -> String {
            guard let id = resolveSessionId(args["sessionId"], actor: actor) else { throw .notFound }
            return id
        }
        func memberBody() -> JSONValue {
            .object([
                "members": .array([
                    .object([
                        "accountId": .string("me"),
                        "customData4": args["customData4"] ?? .string(Self.defaultCustomData4),
                        "platform": .string("me"),
                        "pushContexts": .array([.object(["contextId": .string(ids.uuid())])]),
                        "voiceChatActivated": args["voiceChatActivated"] ?? .bool(true),
                    ])
                ])
            ])
        }
        switch action {
        case "create":
            var spec = memberBody().objectValue ?? JSONObject()
            spec["joinableUserType"] = args["joinableUserType"] ?? .string("INVITE_ONLY")
            spec["maxMembers"] = args["maxMembers"] ?? .int(16)
            spec["sessionName"] = args["sessionName"] ?? .string("")
            spec["sessionType"] = .string("ROOM")
            spec["visibilityType"] = args["visibilityType"] ?? .string("INVITE_ONLY")
            let sessionId = try createParty(caller: actor, body: .object(["v2PartySessions": .array([.object(spec)])]))
            return .object([
                "sessionId": .string(sessionId), "linkId": .string(parties[sessionId]?.linkId ?? ""),
            ])
        case "join":
            let id = try session()
            try joinParty(caller: actor, sessionId: id, body: memberBody(),
                          ignoreAccessControl: args["ignoreAccessControl"]?.boolValue ?? false)
            return .object(["sessionId": .string(id)])
        case "leave":
            let id = try session()
            try leaveParty(caller: actor, sessionId: id, memberId: "me")
            return .object(["sessionId": .string(id)])
        case "patchMember":
            let id = try session()
            var body = JSONObject()
            for key in ["customData3", "customData4", "voiceChatActivated"] { body[key] = args[key] }
            try patchMember(caller: actor, sessionId: id, memberId: "me", body: .object(body))
            return .object(["sessionId": .string(id)])
        case "patchParty":
            let id = try session()
            var body = JSONObject()
            for key in ["sessionName", "maxMembers", "visibilityType", "joinableUserType"] { body[key] = args[key] }
            try patchParty(caller: actor, sessionId: id, body: .object(body))
            return .object(["sessionId": .string(id)])
        case "invite":
            let id = try session()
            let targets = try resolveTargets(args["to"])
            let invitations = targets.map { JSONValue.object(["to": .object(["accountId": .string($0.accountId)])]) }
            try invite(caller: actor, sessionId: id, body: .object([
                "invitationType": .string("NORMAL"), "invitations": .array(invitations),
                "invitationsToGroups": .array([]),
            ]))
            return .object(["sessionId": .string(id)])
        case "customMessage":
            let id = try session()
            var body = JSONObject()
            body["channel"] = args["channel"] ?? .string("miranda:12")
            let targets = args["to"] != nil ? try resolveTargets(args["to"]) : []
            body["payload"] = args["payload"] ?? .string(Self.mirandaPayload(from: actor, to: targets.first, args: args))
            if args["to"] != nil {
                body["to"] = .array(targets.map {
                    .object(["accountId": .string($0.accountId), "platform": .string($0.platform)])
                })
            }
            body["withoutSequenceNumber"] = args["withoutSequenceNumber"] ?? .bool(true)
            try customMessage(caller: actor, sessionId: id, body: .object(body))
            return .object(["sessionId": .string(id)])
        case "dropPush":
            return .object(["sockets": .int(commandSockets(of: actor.accountId, .drop))])
        case "pushRaw":
            // A text frame of the given text, or of `bytes` filler characters (tests of the client's message bound).
            let bytes = args["bytes"]?.intValue ?? 0
            guard (0...(64 << 20)).contains(bytes) else { throw .body("args.bytes (0…64 MiB)") }
            let text = args["text"]?.stringValue ?? String(repeating: "x", count: bytes)
            return .object(["sockets": .int(commandSockets(of: actor.accountId, .text(text, notBefore: .now)))])
        case "closePush":
            let code = UInt16(clamping: args["code"]?.intValue ?? 65535)
            let n = commandSockets(of: actor.accountId, .close(code: code, reason: args["reason"]?.stringValue))
            return .object(["sockets": .int(n)])
        default:
            throw .body("action")
        }
    }

    /// A D.4/D.5-shaped payload sent by `actor` (sorted keys, compact): the simulator's one miranda encoder.
    static func mirandaPayload(from actor: SimulatedAccount, to target: SimulatedAccount?, args: JSONObject) -> String {
        let sequence = args["globalSeqNum"].flatMap { Int($0.serialized) } ?? 1
        return MirandaMessage(
            type: args["type"]?.stringValue ?? "offer", sdp: args["sdp"]?.stringValue ?? "v=0\r\n",
            from: .init(accountId: actor.accountId, restPlatform: actor.platform),
            to: .init(accountId: (target ?? actor).accountId, restPlatform: (target ?? actor).platform),
            globalSeqNum: sequence
        ).envelope
    }

    func resolveTargets(_ value: JSONValue?) throws(APIError) -> [SimulatedAccount] {
        guard let array = value?.arrayValue else { throw .body("to") }
        var out: [SimulatedAccount] = []
        for item in array {
            guard let name = item.stringValue ?? item["accountId"]?.stringValue else { throw .body("to") }
            if let account = resolveActor(name) {
                out.append(account)
            } else if Encoding.isAccountIdDigits(name) {
                out.append(SimulatedAccount(accountId: name, onlineId: "", npsso: ""))
            } else {
                throw .body("to")
            }
        }
        return out
    }
}
