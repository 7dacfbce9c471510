import Foundation
public import PartyBusCore

/// Turns push frames (E.5–E.7) into events: the raw frame always (`push.frame_received`), and the domain events it
/// means (`party.*`) unless the party projection already shows them — so a frame seen again after a reconnect,
/// or the echo of our own action, never produces a duplicate. Garbage becomes `push.frame_rejected`.
public struct PushTranslator: Sendable {
    private static let prefix = "psn:sessionManager:sys:"

    /// Makes a translator.
    public init() {}

    /// The drafts for one frame, given the party state before it.
    public func drafts(forFrame text: String, state: PartyProjection, source: EventSource) -> [EventDraft] {
        func draft<P: EventPayload>(_ stream: String, _ payload: P) -> EventDraft? {
            try? EventDraft(stream: stream, payload: payload, source: source)
        }
        guard let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            return [draft("push", PushFrameRejected(reason: "not a JSON object", text: String(text.prefix(2000))))].compactMap { $0 }
        }
        let dataType = object["dataType"] as? String
        let raw = PushFrameReceived.keeping(text, dataType: dataType)
        if raw.truncatedFrom != nil { PSNMetrics.pushFrameTruncated() }
        var out: [EventDraft] = [draft("push", raw)].compactMap { $0 }
        guard let method = object["method"] as? NSNumber, method.doubleValue == 3001 else { return out }
        guard let dataType, let body = object["body"] as? [String: Any], let payload = body["data"] as? [String: Any],
            let sessionId = payload["sessionId"] as? String
        else {
            out += [draft("push", PushFrameRejected(reason: "3001 frame without dataType or body.data.sessionId", text: String(text.prefix(2000))))].compactMap { $0 }
            return out
        }
        do {
            out += try translate(dataType: dataType, payload: payload, sessionId: sessionId, state: state, source: source)
        } catch let rejection as Rejection {
            out += [draft("push", PushFrameRejected(reason: rejection.reason, text: String(text.prefix(2000))))].compactMap { $0 }
        } catch {
            out += [draft("push", PushFrameRejected(reason: "\(error)", text: String(text.prefix(2000))))].compactMap { $0 }
        }
        return out
    }

    /// Why a frame is refused: names the field (e.g. `body.data.members[0].accountId`).
    struct Rejection: Error {
        var reason: String
    }

    /// The `party.*` drafts of one 3001 frame; throws `Rejection` for outside data that does not hold.
    private func translate(
        dataType: String, payload: [String: Any], sessionId: String, state: PartyProjection, source: EventSource
    ) throws -> [EventDraft] {
        func draft<P: EventPayload>(_ stream: String, _ payload: P) -> EventDraft? {
            try? EventDraft(stream: stream, payload: payload, source: source)
        }
        var out: [EventDraft] = []
        let stream = "party/\(sessionId)"
        let kind = dataType.hasPrefix(Self.prefix) ? String(dataType.dropFirst(Self.prefix.count)) : dataType
        let party = state.parties[sessionId]
        switch kind {
        case "v2:ps:members:created":
            for member in try Self.members(payload) where party?.members[member.accountId] == nil {
                out += [draft(stream, PartyMemberJoined(sessionId: sessionId, member: member))].compactMap { $0 }
            }
        case "v2:ps:members:deleted":
            for member in try Self.members(payload) where party == nil || party?.members[member.accountId] != nil {
                out += [draft(stream, PartyMemberLeft(sessionId: sessionId, accountId: member.accountId, onlineId: member.onlineId))].compactMap { $0 }
            }
        case "v2:ps:m:customData3:updated", "v2:ps:m:customData4:updated":
            let field = kind.contains("customData3") ? "customData3" : "customData4"
            for member in try Self.members(payload) {
                let value = field == "customData3" ? member.customData3 : member.customData4
                guard let value else { continue }
                let known = party?.members[member.accountId]
                let current = field == "customData3" ? known?.customData3 : known?.customData4
                if current != value {
                    out += [draft(stream, PartyMemberUpdated(sessionId: sessionId, accountId: member.accountId, field: field, value: value))].compactMap { $0 }
                }
            }
        case "v2:ps:owner:updated":
            if let object = payload["owner"] {
                guard let object = object as? [String: Any] else { throw Rejection(reason: "body.data.owner is not an object") }
                let owner = try Self.member(object, field: "body.data.owner")
                if party?.ownerAccountId != owner.accountId {
                    out += [draft(stream, PartyOwnerChanged(sessionId: sessionId, owner: owner))].compactMap { $0 }
                }
            }
        case "v2:ps:sessionName:updated", "v2:ps:visibilityType:updated", "outside:v2:ps:visibilityType:updated",
            "v2:ps:joinableUserType:updated", "outside:v2:ps:joinableUserType:updated", "v2:ps:maxMembers:updated":
            let field = kind.split(separator: ":").dropLast().last.map(String.init) ?? kind
            if let value = payload[field] {
                let text = (value as? String) ?? "\(value)"
                let known = field == "sessionName" ? party?.name : field == "maxMembers" ? party?.maxMembers.map(String.init) : nil
                if known != text {
                    out += [draft(stream, PartyUpdated(sessionId: sessionId, field: field, value: text))].compactMap { $0 }
                }
            }
        case "outside:v2:partySession:deleted", "v2:partySession:deleted":
            let cause = (payload["customProperties"] as? [String: Any])?["deletedEvenCause"] as? String
            out += [draft(stream, PartyDeleted(sessionId: sessionId, cause: cause))].compactMap { $0 }
        case "v2:ps:customMessage:noSeq:created", "v2:ps:customMessage:created":
            let from = (payload["customProperties"] as? [String: Any])?["from"] as? [String: Any]
            let fromAccountId = try from.flatMap { try Self.optionalAccountId($0, field: "body.data.customProperties.from") }
            if let message = payload["customMessage"] as? [String: Any], let channel = message["channel"] as? String,
                let body = message["payload"] as? String
            {
                out += [draft(stream, PartyCustomMessage(
                    sessionId: sessionId, channel: channel, payload: body, fromAccountId: fromAccountId,
                    fromPlatform: from?["platform"] as? String))].compactMap { $0 }
            }
        case "v2:ps:invitations:created":
            // B.7: the invitation push type was never captured; this is the simulator's name for it. The sender is
            // in customProperties.from, like a custom message's.
            let from = try ((payload["customProperties"] as? [String: Any])?["from"] as? [String: Any]).map {
                try Self.member($0, field: "body.data.customProperties.from")
            }
            out += [draft(stream, PartyInvitationReceived(
                sessionId: sessionId, sessionName: payload["sessionName"] as? String, from: from))].compactMap { $0 }
        default:
            // partySession:created and unknown dataTypes: the raw frame is kept; nothing else to say.
            break
        }
        return out
    }

    /// `body.data.members`, each checked (absent: none).
    static func members(_ payload: [String: Any]) throws -> [PartyMember] {
        guard let list = payload["members"] else { return [] }
        guard let items = list as? [[String: Any]] else { throw Rejection(reason: "body.data.members is not a list of objects") }
        return try items.enumerated().map { index, item in try member(item, field: "body.data.members[\(index)]") }
    }

    /// A member object whose `accountId` is 1–20 ASCII digits (§0.4).
    static func member(_ object: [String: Any], field: String) throws -> PartyMember {
        guard let accountId = object["accountId"] as? String else {
            throw Rejection(reason: "\(field).accountId is missing or not a string")
        }
        if let problem = AccountId.problem(accountId, field: "\(field).accountId") { throw Rejection(reason: problem) }
        guard let data = try? JSONSerialization.data(withJSONObject: object),
            let member = try? JSONDecoder().decode(PartyMember.self, from: data)
        else { throw Rejection(reason: "\(field) is not a member object") }
        return member
    }

    /// An optional `accountId` of an object such as `customProperties.from`: absent is fine, garbage is not.
    static func optionalAccountId(_ object: [String: Any], field: String) throws -> String? {
        guard let value = object["accountId"] else { return nil }
        guard let accountId = value as? String else { throw Rejection(reason: "\(field).accountId is not a string") }
        if let problem = AccountId.problem(accountId, field: "\(field).accountId") { throw Rejection(reason: problem) }
        return accountId
    }
}

extension EventDraft {
    /// The event this draft will become, with seq 0: for folding a draft into a projection before it is appended.
    var provisionalEvent: Event {
        Event(seq: 0, at: 0, stream: stream, type: type, version: version, source: source, correlation: correlation, payload: payload)
    }
}
