import Foundation
import PSN
import PSNSimulator
import PartyBusCore

/// A short party against the built-in simulator, so `partybus up` shows something live: we create a party and
/// invite the cast, they join, change their attributes, message us, and leave again.
enum SimulatorScene {
    /// Plays the scene once push is up.
    static func play(simulator: PSNSimulator, client: PSNClient, log: EventLog) async throws {
        try await waitFor(log, type: "push.connected")
        // The 1003 auth frame gets no reply (E.3): wait until the simulator has accepted our socket.
        while simulator.authenticatedPushSockets(accountId: BuiltinSimulator.me.accountId) == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        let sessionId = try await client.parties.create(name: "PartyBus demo")
        let cast = BuiltinSimulator.cast
        try await client.parties.invite(sessionId, accountIds: cast.map(\.accountId))
        let steps: [(Duration, String, String, PSNSimulator.Arguments)] = [
            (.seconds(1), cast[0].onlineId, "join", [:]),
            (.seconds(1), cast[1].onlineId, "join", [:]),
            (.milliseconds(500), cast[0].onlineId, "patchMember", ["customData4": .string("WyIiLCJBUUFBQUE9PSIsIjEiLCIwIiwiNi4yLjAiLCIwIiwiMCIsIjAiLCIiLCIiXQ==")]),
            // Long enough to hear them (each member's simulator peer sends its own tone when media is on).
            (.seconds(20), cast[1].onlineId, "leave", [:]),
            (.seconds(10), cast[0].onlineId, "leave", [:]),
        ]
        for (pause, actor, action, arguments) in steps {
            try await Task.sleep(for: pause)
            var args = arguments
            args["sessionId"] = .string(sessionId)
            _ = try simulator.perform(actor: actor, action: action, args: args)
        }
    }

    private static func waitFor(_ log: EventLog, type: String) async throws {
        for try await _ in log.subscribe(from: 1, filter: EventFilter(types: [type])) { return }
    }
}

extension PSNSimulator {
    /// Arguments of a scripted action.
    typealias Arguments = JSONObject
}
