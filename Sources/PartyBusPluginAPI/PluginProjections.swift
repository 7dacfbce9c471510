public import Foundation

/// A party as the engine's party projection shows it (folded from `party.*` events): what a plugin asks for with
/// `context.parties()` or `context.party(id)`.
public struct PartyView: Sendable, Codable, Equatable {
    /// The session id.
    public var sessionId: String
    /// The party's name ("" when unnamed or not known yet).
    public var name: String
    /// The owner's account id, when known.
    public var ownerAccountId: String?
    /// Capacity, when known.
    public var maxMembers: Int?
    /// Who is in it, by join order.
    public var members: [PartyMember]

    /// Makes a view (the engine does; tests and fake contexts may too).
    public init(
        sessionId: String, name: String = "", ownerAccountId: String? = nil, maxMembers: Int? = nil,
        members: [PartyMember] = []
    ) {
        self.sessionId = sessionId
        self.name = name
        self.ownerAccountId = ownerAccountId
        self.maxMembers = maxMembers
        self.members = members
    }

    /// The member with this account id, if present.
    public func member(_ accountId: String) -> PartyMember? { members.first { $0.accountId == accountId } }
}

/// Reads the engine's party projection. The daemon gives the engine one (backed by the projection its API shows);
/// a context that has one conforms, and `PluginContext.parties()` finds it.
public protocol PartyProjectionReader: Sendable {
    /// The parties we are in, folded at least through `seq` (when given): a plugin handling event N sees N applied.
    func parties(through seq: UInt64?) async -> [PartyView]
}

extension PluginContext {
    /// The parties we are in — names, owners, members by join order — at least as new as the event being handled.
    /// Empty when the engine keeps no party projection (an engine run without PSN, such as `partybus demo`).
    public func parties() async -> [PartyView] {
        guard let reader = self as? any PartyProjectionReader else { return [] }
        return await reader.parties(through: nil)
    }

    /// One party by session id, or nil when we are not in it (or no party projection is kept).
    public func party(_ sessionId: String) async -> PartyView? {
        await parties().first { $0.sessionId == sessionId }
    }
}

extension EventJSON {
    /// An array of Encodable values as JSON with sorted keys (projections crossing the C ABI).
    public static func encodeArray(_ values: [some Encodable]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(values)
    }
}
