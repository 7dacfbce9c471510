import Foundation
import PSN
import PartyBusCore
import PartyBusTestSupport
import Testing

/// `context.parties()` as a plugin in `partybus up` sees it: the host reads the daemon's live party projection,
/// which has always folded the event the plugin is handling — the member who just joined is in it.
@Suite("Plugin party projection", .timeLimit(.minutes(1)))
struct PluginPartyProjectionTests {
    /// `test.party_seen`: how many members, and the party name, the plugin saw while handling a join.
    struct PartySeen: EventPayload {
        static let eventType = "test.party_seen"
        var members: [String]
        var name: String
    }

    /// Publishes what `context.party(id)` shows on each `party.member_joined`.
    struct Watcher: Plugin {
        let context: any PluginContext
        func handle(_ event: Event) async throws {
            let joined = try event.decode(PartyMemberJoined.self)
            let party = await context.party(joined.sessionId)
            try await context.publish(PartySeen(members: party?.members.compactMap(\.onlineId) ?? [], name: party?.name ?? "?"))
        }
    }

    @Test("each join is seen with the newcomer already in the party, names and join order from the projection")
    func seesTheEventBeingHandled() async throws {
        let dir = try TemporaryDirectory()
        let log = try EventLog(path: dir.path("events.sqlite"))
        let parties = LiveProjection<PartyProjection>(log: log)
        let projection = Task { try await parties.run() }
        var options = PluginHost.Options(dataRoot: dir.url, logger: MemoryLog().logger())
        options.checkpointInterval = .milliseconds(20)
        let host = try PluginHost(
            log: log,
            registrations: [PluginRegistration(name: "watcher", kind: .builtin, events: ["party.member_joined"]) { Watcher(context: $0) }],
            options: options)
        host.attachPartyProjection(parties)
        let running = Task { await host.run() }
        #expect(await eventually { host.statuses().first?.state == .running })

        try await log.append(EventDraft(stream: "party/s1", payload: PartyCreated(sessionId: "s1", sessionName: "Friday night", maxMembers: 8)))
        for (index, name) in ["you", "alice", "bob"].enumerated() {
            try await log.append(EventDraft(
                stream: "party/s1",
                payload: PartyMemberJoined(sessionId: "s1", member: PartyMember(accountId: "\(index + 1)", onlineId: name, joinOrder: index + 1))))
        }
        #expect(await host.waitUntilIdle())
        let seen = try log.read(filter: EventFilter(types: ["test.party_seen"])).map { try $0.decode(PartySeen.self) }
        // The projection has folded *at least* the event being handled (docs/plugins.md): at each join the members
        // so far are there in join order, newcomer included; a live projection may already hold later joins too.
        let names = ["you", "alice", "bob"]
        #expect(seen.count == 3)
        for (index, party) in seen.enumerated() {
            #expect(Array(party.members.prefix(index + 1)) == Array(names.prefix(index + 1)), "join \(index + 1): \(party.members)")
            #expect(names.starts(with: party.members), "join order: \(party.members)")
        }
        #expect(seen.allSatisfy { $0.name == "Friday night" })
        running.cancel()
        await running.value
        projection.cancel()
        _ = await projection.result
    }
}
