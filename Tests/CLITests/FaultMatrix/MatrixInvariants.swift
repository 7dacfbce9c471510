import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

/// What every row of the fault matrix asserts once its faults stop:
/// 1. the daemon's party state (`GET /v1/status` → `parties`, folded from the log) re-converges to the simulator's
///    truth (`GET /sim/admin/parties`, the parties our account is a member of) — same parties, same members;
/// 2. no duplicate domain event (`DuplicateDomainEvents`);
/// 3. every event the daemon acknowledged (printed by `events tail -f`) is in the log, unchanged;
/// 4. the log is 1…head with no gap and `PRAGMA integrity_check` says `ok`.
struct MatrixInvariants {
    let rig: FaultRig

    /// The parties our account is in, by session id, with their members' account ids, as the simulator knows them.
    func simulatorTruth() async throws -> [String: Set<String>] {
        let object = try await rig.simulator.get("/sim/admin/parties")
        var truth: [String: Set<String>] = [:]
        for party in object["parties"] as? [[String: Any]] ?? [] {
            let members = Set((party["members"] as? [[String: Any]] ?? []).compactMap { $0["accountId"] as? String })
            if members.contains(FaultRig.me), let sessionId = party["sessionId"] as? String { truth[sessionId] = members }
        }
        return truth
    }

    /// The same, as the daemon's status shows it.
    func daemonView() throws -> [String: Set<String>] {
        var view: [String: Set<String>] = [:]
        for party in try rig.status()["parties"] as? [[String: Any]] ?? [] {
            guard let sessionId = party["sessionId"] as? String else { continue }
            view[sessionId] = Set((party["members"] as? [String: Any] ?? [:]).keys)
        }
        return view
    }

    /// Waits (generously) until the daemon agrees with the simulator and the push socket is back.
    func assertConverged(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var last = ""
        let converged = await poll(timeout: .seconds(60)) {
            guard let truth = try? await simulatorTruth(), let view = try? daemonView() else { return false }
            last = "simulator \(truth.mapValues { $0.sorted() })\ndaemon    \(view.mapValues { $0.sorted() })"
            return truth == view
        }
        #expect(converged, "party state did not re-converge:\n\(last)\n\(rig.daemon.stderr.text.suffix(4000))",
                sourceLocation: sourceLocation)
    }

    /// Convergence and the log checks, while the daemon runs.
    func assertAll(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await assertConverged(sourceLocation: sourceLocation)
        // What the followers printed up to now must have been committed before they printed it.
        let head = (try rig.status()["log"] as? [String: Any])?["head"] as? Int ?? 0
        _ = await poll(timeout: .seconds(20)) { (rig.acknowledged.last?["seq"] as? Int ?? 0) >= head }
        try assertLogOnDisk(sourceLocation: sourceLocation)
    }

    /// Duplicates, acknowledged events, gaps and integrity, read straight from `events.sqlite`.
    func assertLogOnDisk(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let log = try EventLog(readingOnly: URL(fileURLWithPath: rig.data).appendingPathComponent("events.sqlite").path)
        defer { log.close() }
        #expect(try log.integrityCheck() == ["ok"], sourceLocation: sourceLocation)
        let events = try log.read(limit: 1_000_000)
        #expect(events.enumerated().allSatisfy { UInt64($0.offset + 1) == $0.element.seq }, "the log has a gap",
                sourceLocation: sourceLocation)
        let duplicates = DuplicateDomainEvents.find(in: events)
        #expect(duplicates.isEmpty, "duplicate domain events: \(duplicates)", sourceLocation: sourceLocation)
        let bySeq = Dictionary(events.map { ($0.seq, $0) }, uniquingKeysWith: { first, _ in first })
        let acknowledged = rig.acknowledged
        #expect(!acknowledged.isEmpty, "the follower saw nothing", sourceLocation: sourceLocation)
        var missing: [String] = []
        for ack in acknowledged {
            guard let seq = (ack["seq"] as? Int).map(UInt64.init), let type = ack["type"] as? String else {
                missing.append("unreadable line \(ack)")
                continue
            }
            guard let event = bySeq[seq], event.type == type, event.stream == ack["stream"] as? String,
                let payload = try? JSONSerialization.jsonObject(with: event.payload) as? NSDictionary,
                payload.isEqual(ack["payload"] as? NSDictionary ?? [:])
            else {
                missing.append("#\(seq) \(type)")
                continue
            }
        }
        #expect(missing.isEmpty, "acknowledged but not in the log as acknowledged: \(missing.prefix(20))",
                sourceLocation: sourceLocation)
    }
}
