import ArgumentParser
import Foundation
import PSN
import PSNSimulator
import PartyBusCore
import PartyBusDaemon

/// `partybus bench join`: how long from `parties join` until the projection shows us beside the party's first
/// member, and how many push frames per second go from the simulator into the log and the projection.
struct JoinBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join", abstract: "Join latency and push ingest rate against the in-process simulator.")

    @Option(name: .long, help: "Joins to time.") var joins = 30
    @Option(name: .long, help: "Push frames for the ingest measurement.") var frames = 3000

    func run() async throws {
        #if DEBUG
        printError("warning: this is a debug build; run `swift run -c release partybus bench join`")
        #endif
        Logging.bootstrapOnce(level: .error)
        var configuration = SimulatorConfiguration(accounts: [BuiltinSimulator.me] + BuiltinSimulator.cast)
        configuration.clientSecret = "bench-secret"
        let joins = self.joins
        let frames = self.frames
        try await PSNSimulator.withRunning(configuration: configuration, logger: Logging.engine) { simulator in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("partybus-bench-join-\(getpid())")
            defer { try? FileManager.default.removeItem(at: folder) }
            let log = try EventLog(path: folder.appendingPathComponent("events.sqlite").path)
            defer { log.close() }
            let settings = BuiltinSimulator.settings(PSNSettings.defaults, simulator: simulator.configuration, baseURL: simulator.baseURL!)
            let client = try PSNClient(settings: settings, dataDirectory: folder, log: log, source: .sim, logger: Logging.engine)
            let projection = LiveProjection<PartyProjection>(log: log)
            let folding = Task { try? await projection.run() }
            defer { folding.cancel() }
            try await client.tokens.signIn(npsso: Secret(BuiltinSimulator.me.npsso))
            let push = client.makePushClient(parties: projection)
            let pushing = Task { await push.run() }
            defer { pushing.cancel() }
            while try log.read(filter: EventFilter(types: ["push.connected"])).isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            let me = BuiltinSimulator.me.accountId
            let host = BuiltinSimulator.cast[0]

            print("PartyBus join benchmark (simulator on loopback, \(joins) joins)")
            var latencies: [Double] = []
            for _ in 0..<joins {
                let created = try simulator.perform(actor: host.onlineId, action: "create")
                let sessionId = created["sessionId"]!.stringValue!
                _ = try simulator.perform(actor: host.onlineId, action: "invite", args: ["sessionId": .string(sessionId), "to": .array([.string(me)])])
                let start = ContinuousClock.now
                try await client.parties.join(sessionId)
                while projection.current.parties[sessionId]?.members[host.accountId] == nil
                    || projection.current.parties[sessionId]?.members[me] == nil
                {
                    try await Task.sleep(for: .microseconds(200))
                }
                latencies.append((ContinuousClock.now - start).seconds * 1000)
                try await client.parties.leave(sessionId)
            }
            latencies.sort()
            let median = latencies[latencies.count / 2]
            let p95 = latencies[min(latencies.count - 1, latencies.count * 95 / 100)]
            print(String(format: "  join → second member visible: median %.1f ms, p95 %.1f ms, max %.1f ms", median, p95, latencies.last!))

            // Ingest: the host patches its customData4 `frames` times; each change is one push frame to us.
            let created = try simulator.perform(actor: host.onlineId, action: "create")
            let sessionId = created["sessionId"]!.stringValue!
            _ = try simulator.perform(actor: host.onlineId, action: "invite", args: ["sessionId": .string(sessionId), "to": .array([.string(me)])])
            try await client.parties.join(sessionId)
            let before = try log.stats().byType.first { $0.name == "push.frame_received" }?.count ?? 0
            let started = ContinuousClock.now
            for n in 0..<frames {
                let value = Data("[\"\",\"\",\"1\",\"0\",\"6.2.0\",\"\(n)\",\"0\",\"0\",\"\",\"\"]".utf8).base64EncodedString()
                _ = try simulator.perform(
                    actor: host.onlineId, action: "patchMember", args: ["sessionId": .string(sessionId), "customData4": .string(value)])
            }
            let produced = (ContinuousClock.now - started).seconds
            let last = Data("[\"\",\"\",\"1\",\"0\",\"6.2.0\",\"\(frames - 1)\",\"0\",\"0\",\"\",\"\"]".utf8).base64EncodedString()
            while projection.current.parties[sessionId]?.members[host.accountId]?.customData4 != last {
                try await Task.sleep(for: .milliseconds(1))
            }
            let elapsed = (ContinuousClock.now - started).seconds
            let received = (try log.stats().byType.first { $0.name == "push.frame_received" }?.count ?? 0) - before
            print(String(format: "  push ingest: %d frames in %.2f s = %.0f frames/s (simulator → socket → log → projection)",
                         received, elapsed, Double(received) / elapsed))
            print(String(format: "  (the simulator itself needed %.2f s to produce them: %.0f frames/s)", produced, Double(frames) / produced))
            return ()
        }
    }
}
