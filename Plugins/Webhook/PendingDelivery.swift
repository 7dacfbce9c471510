import Foundation

#if canImport(Glibc)
import Glibc
#endif
import PartyBusPluginAPI

/// One event waiting to be delivered: its JSON line (the body) and the tries made so far.
struct PendingDelivery: Codable, Sendable, Equatable {
    /// The event's seq.
    var seq: UInt64
    /// The event's type.
    var type: String
    /// The request body: the event as one JSON line (`events export --jsonl` form).
    var body: String
    /// Tries made so far.
    var attempts: Int

    init(event: Event) {
        seq = event.seq
        type = event.type
        body = String(decoding: EventJSON.line(for: event), as: UTF8.self)
        attempts = 0
    }
}

/// The deliveries still queued when the plugin stopped, kept in `<plugin data>/pending.jsonl` (0600) and queued
/// again first at the next start, so a restart loses nothing that was accepted.
enum PendingFile {
    static func url(in folder: URL) -> URL { folder.appendingPathComponent("pending.jsonl") }

    /// Writes `items` (or removes the file when there are none).
    static func save(_ items: [PendingDelivery], in folder: URL) throws {
        let file = url(in: folder)
        guard !items.isEmpty else {
            try? FileManager.default.removeItem(at: file)
            return
        }
        var data = Data()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for item in items {
            data.append(try encoder.encode(item))
            data.append(0x0A)
        }
        let temporary = folder.appendingPathComponent("pending.jsonl.tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600])
        else { throw PluginError("cannot write \(temporary.path)") }
        guard rename(temporary.path, file.path) == 0 else {
            throw PluginError("cannot move \(temporary.path) to \(file.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads and removes the file; lines that do not parse are reported through `problem` with their number.
    static func take(from folder: URL, problem: (String) -> Void) -> [PendingDelivery] {
        let file = url(in: folder)
        guard let data = FileManager.default.contents(atPath: file.path) else { return [] }
        var items: [PendingDelivery] = []
        for (index, line) in data.split(separator: 0x0A).enumerated() {
            do {
                items.append(try JSONDecoder().decode(PendingDelivery.self, from: Data(line)))
            } catch {
                problem("\(file.path):\(index + 1): not a pending delivery (\(EventJSON.describe(error))); skipped")
            }
        }
        try? FileManager.default.removeItem(at: file)
        return items
    }
}
