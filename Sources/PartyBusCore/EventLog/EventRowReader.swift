import Foundation
import PartyBusPluginAPI

/// Reads `Event` values from statements whose columns are the events table's, in table order.
enum EventRowReader {
    /// The column list every event query selects.
    static let columns = "seq, at, stream, type, version, source, correlation, payload"

    /// The event in the statement's current row.
    static func event(from statement: SQLiteStatement) -> Event {
        Event(
            seq: UInt64(statement.int64(0)),
            at: statement.int64(1),
            stream: statement.string(2) ?? "",
            type: statement.string(3) ?? "",
            version: Int(statement.int64(4)),
            source: EventSource(rawValue: statement.string(5) ?? "") ?? .live,
            correlation: statement.isNull(6) ? nil : statement.string(6),
            payload: statement.data(7))
    }

    /// A WHERE fragment and its bindings for a filter (`?` placeholders, bound in order after `first`).
    static func whereClause(for filter: EventFilter) -> (sql: String, bindings: [String]) {
        var parts: [String] = []
        var bindings: [String] = []
        let types = filter.types.filter { $0 != "*" }
        if !types.isEmpty && types.count == filter.types.count {
            parts.append("(" + types.map { _ in "type GLOB ?" }.joined(separator: " OR ") + ")")
            bindings += types
        }
        let streams = filter.streams.filter { $0 != "*" }
        if !streams.isEmpty && streams.count == filter.streams.count {
            parts.append("(" + streams.map { _ in "stream GLOB ?" }.joined(separator: " OR ") + ")")
            bindings += streams
        }
        for excluded in filter.excludedStreams {
            parts.append("NOT (stream GLOB ?)")
            bindings.append(excluded)
        }
        return (parts.isEmpty ? "" : " AND " + parts.joined(separator: " AND "), bindings)
    }
}
