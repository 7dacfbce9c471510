import Foundation
import PartyBusCore

/// Formats events for people (`events tail`, `up`, `demo`) or as JSON lines.
struct EventPrinter {
    /// JSON lines instead of columns.
    var json = false

    func line(_ event: Event) -> String {
        if json { return String(decoding: EventJSON.line(for: event), as: UTF8.self) }
        let date = Date(timeIntervalSince1970: Double(event.at) / 1000)
        let time = EventPrinter.timeFormatter.string(from: date)
        let payload = event.payloadText.count > 160 ? String(event.payloadText.prefix(157)) + "…" : event.payloadText
        return "#\(event.seq)  \(time)  \(event.stream.padding(toLength: 22, withPad: " ", startingAt: 0)) "
            + "\(event.type.padding(toLength: 24, withPad: " ", startingAt: 0)) \(payload)"
    }

    func print(_ event: Event) {
        Swift.print(line(event))
    }

    static let timeFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss.SSS"
        return formatter
    }()
}
