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
        return "#\(event.seq)  \(time)  \(EventPrinter.pad(event.stream, 22)) \(EventPrinter.pad(event.type, 24)) \(payload)"
    }

    /// Pads to `width` without cutting longer text.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
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
