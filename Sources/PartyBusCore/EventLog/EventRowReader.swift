import Foundation
import PartyBusPluginAPI

/// Reads `Event` values from statements whose columns are the events table's, in table order.
enum EventRowReader {
    /// The column list every event query selects.
    static let columns = "seq, at, stream, type, version, source, correlation, payload"

    /// The event in the statement's current row. `memo` keeps the last stream and type read, so a run of rows
    /// with the same ones (the usual case in a log) does not decode them again.
    static func event(from statement: SQLiteStatement, memo: inout StringMemo) -> Event {
        Event(
            seq: UInt64(statement.int64(0)),
            at: statement.int64(1),
            stream: memo.stream.string(statement, column: 2),
            type: memo.type.string(statement, column: 3),
            version: Int(statement.int64(4)),
            source: statement.source(5),
            correlation: statement.isNull(6) ? nil : statement.string(6),
            payload: statement.data(7))
    }

    /// The last stream and type strings read by one scan.
    struct StringMemo {
        var stream = LastString()
        var type = LastString()
    }

    /// The last string read from a column, reused while the bytes are the same.
    struct LastString {
        private var bytes: [UInt8] = []
        private var value = ""

        mutating func string(_ statement: SQLiteStatement, column: Int32) -> String {
            let current = statement.bytes(column)
            if current.elementsEqual(bytes) { return value }
            bytes = Array(current)
            value = String(decoding: current, as: UTF8.self)
            return value
        }
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
