import Foundation
import Logging
import PSN
import PSNSimulator
import PartyBusCore

/// Signs in (the simulator's account, the stored tokens, or the configured npsso) and keeps the push socket up.
/// With no tokens and no npsso it does not give up: `auth.sign_in_required` is in the log, the API answers, and
/// the push socket starts as soon as someone signs in through it (`partybus login`).
enum PSNSession {
    static func run(
        client: PSNClient, simulator: PSNSimulator?, parties: LiveProjection<PartyProjection>, log: EventLog,
        logger: Logger
    ) async throws {
        if simulator != nil {
            try await client.tokens.signIn(npsso: Secret(BuiltinSimulator.me.npsso))
        } else if try await client.tokens.currentTokens() == nil {
            if let npsso = client.settings.npsso, !npsso.isEmpty {
                try await client.tokens.signIn(npsso: npsso)
            } else {
                let reason = "no stored tokens and no psn.npsso: run `partybus login` (the daemon waits)"
                logger.warning("\(reason)")
                let asked = try await log.append(EventDraft(stream: "auth", payload: SignInRequired(reason: reason)))
                // `partybus login` signs in through this daemon's API (it holds the folder), so the sign-in is an event.
                for try await _ in log.subscribe(from: asked.seq + 1, filter: EventFilter(types: [SignedIn.eventType])) {
                    break
                }
            }
        }
        let push = client.makePushClient(parties: parties)
        await push.run()
    }
}
