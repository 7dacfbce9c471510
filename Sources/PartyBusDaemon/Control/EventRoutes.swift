import Foundation
import PartyBusCore

/// `/v1/events`: a range read of the log, and a live stream (server-sent events) from a seq — the stream reads
/// the log up to its head and then follows commits, with no gap and no duplicate at the switch.
enum EventRoutes {
    /// Most events one range read returns.
    static let maxLimit = 10_000

    static let routes: [ControlRoute] = [
        ControlRoute("GET", "/v1/events", "Events with from ≤ seq ≤ to matching type/stream globs; ?from&to&limit&type&stream&last.") { request, context in
            let filter = EventFilter(types: request.query["type"] ?? [], streams: request.query["stream"] ?? [])
            let limit = Int(min(try request.queryNumber("limit") ?? 1000, UInt64(maxLimit)))
            let events: [Event]
            if let last = try request.queryNumber("last") {
                events = try context.log.readLast(Int(min(last, UInt64(maxLimit))), filter: filter)
            } else {
                let from = try request.queryNumber("from") ?? 1
                let to = try request.queryNumber("to") ?? .max
                events = try context.log.read(from: max(from, 1), to: to, filter: filter, limit: limit)
            }
            var body = Data("{\"events\":[".utf8)
            for (index, event) in events.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                body.append(EventJSON.line(for: event))
            }
            body.append(contentsOf: Array("],\"head\":\(context.log.head)}".utf8))
            return .rawJSON(body)
        },
        ControlRoute("GET", "/v1/events/stream", "Server-sent events from ?from (default: the next event), filtered by type/stream globs.") { request, context in
            let filter = EventFilter(types: request.query["type"] ?? [], streams: request.query["stream"] ?? [])
            let from = try request.queryNumber("from") ?? (context.log.head + 1)
            let log = context.log
            return ControlResponse(status: 200, body: Data(), stream: { write in
                let subscription = log.subscribe(from: max(from, 1), filter: filter, bufferCapacity: 4096)
                defer { subscription.cancel() }
                try await write(Data(": partybus event stream from seq \(max(from, 1))\n\n".utf8))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // A comment every 15 s keeps proxies and idle timeouts from closing a quiet stream.
                        while true {
                            try await Task.sleep(for: .seconds(15))
                            try await write(Data(": keepalive\n\n".utf8))
                        }
                    }
                    group.addTask {
                        while let batch = try await subscription.nextBatch(maxCount: 256) {
                            var chunk = Data()
                            for event in batch { chunk.append(frame(event)) }
                            try await write(chunk)
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            })
        },
    ]

    /// One server-sent event: `id` is the seq (a client resumes with `?from=id+1`), `event` the type, `data` the
    /// event as one JSON line.
    static func frame(_ event: Event) -> Data {
        var data = Data("id: \(event.seq)\nevent: \(event.type)\ndata: ".utf8)
        data.append(EventJSON.line(for: event))
        data.append(contentsOf: Array("\n\n".utf8))
        return data
    }
}
