import Foundation
import PartyBusPluginAPI

/// The `options` of an `auto-record` plugin entry (docs/plugins.md, "AutoRecord").
struct AutoRecordOptions: Decodable, Sendable {
    /// When to record. Several conditions must all hold; none given means `always`.
    struct Trigger: Decodable, Sendable {
        /// Record every party voice runs in.
        var always: Bool?
        /// At least this many members (ourselves included).
        var minMembers: Int?
        /// At least one of these accounts (account id or online id) is in the party.
        var accounts: [String]?
        /// The party's name matches this glob (`*`, `?`).
        var partyName: String?
    }

    /// Limits for one recording; reaching one saves it.
    struct Limits: Decodable, Sendable {
        /// Longest recording (default 6 h).
        var maxDurationSeconds: Double?
        /// Most bytes of all tracks (default 512 MiB).
        var maxBytes: Int64?
        /// Stop when the folder's file system has less than this free (default 256 MiB).
        var minFreeBytes: Int64?
    }

    /// How long recordings are kept.
    struct Retention: Decodable, Sendable {
        /// Delete recordings older than this many days.
        var days: Double?
        /// Delete the oldest recordings while all of them together are bigger than this.
        var maxTotalBytes: Int64?
    }

    var trigger: Trigger?
    /// `record.allow`: record only where every member (ourselves included) is on this list (account or online ids).
    var allow: [String]?
    var limits: Limits?
    var retention: Retention?
    /// Record our own mic (default true).
    var mic: Bool?
    /// Record the party mix (default true).
    var mix: Bool?
    /// Buffers a tap holds before it drops (default 4096).
    var tapCapacity: Int?

    var maxDuration: Double { limits?.maxDurationSeconds ?? 6 * 3600 }
    var maxBytes: Int64 { limits?.maxBytes ?? 512 * 1024 * 1024 }
    var minFreeBytes: Int64 { limits?.minFreeBytes ?? 256 * 1024 * 1024 }

    /// Checks values; says which key is wrong.
    func validate(plugin: String) throws {
        if let n = trigger?.minMembers, n < 1 { throw PluginError("plugin '\(plugin)': options.trigger.minMembers must be ≥ 1, not \(n)") }
        if let d = limits?.maxDurationSeconds, d <= 0 { throw PluginError("plugin '\(plugin)': options.limits.maxDurationSeconds must be > 0") }
        if let b = limits?.maxBytes, b <= 0 { throw PluginError("plugin '\(plugin)': options.limits.maxBytes must be > 0") }
        if let f = limits?.minFreeBytes, f < 0 { throw PluginError("plugin '\(plugin)': options.limits.minFreeBytes must be ≥ 0") }
        if let d = retention?.days, d <= 0 { throw PluginError("plugin '\(plugin)': options.retention.days must be > 0") }
        if let b = retention?.maxTotalBytes, b <= 0 { throw PluginError("plugin '\(plugin)': options.retention.maxTotalBytes must be > 0") }
        if let c = tapCapacity, c < 16 { throw PluginError("plugin '\(plugin)': options.tapCapacity must be ≥ 16") }
    }

    /// Which trigger holds for `party` (nil: none).
    func firing(for party: PartyFold.Party) -> String? {
        guard let trigger, trigger.always != true else { return "always" }
        var fired: [String] = []
        if let minimum = trigger.minMembers {
            guard party.members.count >= minimum else { return nil }
            fired.append("minMembers")
        }
        if let accounts = trigger.accounts {
            guard party.members.contains(where: { accounts.contains($0.key) || ($0.value.map(accounts.contains) ?? false) }) else { return nil }
            fired.append("accounts")
        }
        if let glob = trigger.partyName {
            guard Glob.matches(glob, party.name ?? "") else { return nil }
            fired.append("partyName")
        }
        return fired.isEmpty ? "always" : fired.joined(separator: "+")
    }

    /// The first member not on `allow` (nil: everyone is, or there is no list).
    func disallowed(in party: PartyFold.Party) -> String? {
        guard let allow else { return nil }
        for (accountId, onlineId) in party.members.sorted(by: { $0.key < $1.key })
        where !allow.contains(accountId) && !(onlineId.map(allow.contains) ?? false) {
            return onlineId ?? accountId
        }
        return nil
    }
}

/// `*` and `?` globs (the same syntax as event filters).
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] { pi += 1; ti += 1 }
            else if pi < p.count, p[pi] == "*" { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
