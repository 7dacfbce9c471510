/// Which events a reader wants: type globs and stream globs (`*` matches any run of characters, `?` one).
///
/// An empty list matches everything. `party.*` matches `party.created` and `party.member_joined`; `*` matches
/// every type. The same globs are used in SQL (`GLOB`), so filtering a catch-up read and a live feed agree.
public struct EventFilter: Sendable, Hashable {
    /// Type globs; the event matches when any matches (or the list is empty).
    public var types: [String]
    /// Stream globs; the event matches when any matches (or the list is empty).
    public var streams: [String]
    /// Streams never delivered (a plugin's own stream, so it does not see its own events).
    public var excludedStreams: [String]

    /// A filter; the default matches every event.
    public init(types: [String] = [], streams: [String] = [], excludedStreams: [String] = []) {
        self.types = types
        self.streams = streams
        self.excludedStreams = excludedStreams
    }

    /// Every event.
    public static let all = EventFilter()

    /// True when nothing is filtered out.
    public var matchesEverything: Bool {
        (types.isEmpty || types.contains("*")) && (streams.isEmpty || streams.contains("*"))
            && excludedStreams.isEmpty
    }

    /// Whether `event` passes.
    public func matches(_ event: Event) -> Bool {
        matches(type: event.type, stream: event.stream)
    }

    /// Whether an event of this type on this stream passes.
    public func matches(type: String, stream: String) -> Bool {
        if !types.isEmpty && !types.contains(where: { Glob.matches($0, type) }) { return false }
        if !streams.isEmpty && !streams.contains(where: { Glob.matches($0, stream) }) { return false }
        if excludedStreams.contains(where: { Glob.matches($0, stream) }) { return false }
        return true
    }
}

/// Shell-style globs over UTF-8: `*` any run, `?` one byte; everything else literal (like SQLite's GLOB without
/// character classes).
public enum Glob {
    /// Whether `text` matches `pattern`.
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        if pattern == "*" { return true }
        var p = pattern.utf8[...]
        var t = text.utf8[...]
        var starP: Substring.UTF8View.SubSequence?
        var starT = t
        while let c = t.first {
            if let pc = p.first, pc == UInt8(ascii: "?") || (pc == c && pc != UInt8(ascii: "*")) {
                p = p.dropFirst()
                t = t.dropFirst()
            } else if let pc = p.first, pc == UInt8(ascii: "*") {
                p = p.dropFirst()
                starP = p
                starT = t
            } else if let sp = starP {
                p = sp
                starT = starT.dropFirst()
                t = starT
            } else {
                return false
            }
        }
        while p.first == UInt8(ascii: "*") { p = p.dropFirst() }
        return p.isEmpty
    }

    /// True when `pattern` has no characters outside the ones globs in this project use, `[A-Za-z0-9._:/@*?-]`.
    public static func isValid(_ pattern: String) -> Bool {
        !pattern.isEmpty && pattern.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
                || [46, 95, 58, 47, 64, 42, 63, 45].contains(c)
        }
    }
}
