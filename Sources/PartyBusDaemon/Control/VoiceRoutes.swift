import Foundation
import PSN
import PartyBusCore
import PartyVoice

/// `/v1/voice…`: what voice is doing, and its controls.
enum VoiceRoutes {
    static let routes: [ControlRoute] = [
        ControlRoute("GET", "/v1/voice", "What voice is doing: party, graph, peers, mute, bridge.") { _, context in
            try .json(await voice(context).status())
        },
        ControlRoute("POST", "/v1/voice/start", "Start voice in a party; body {sessionId?} (default: the party we are in).") { request, context in
            struct Body: Decodable { var sessionId: String? }
            let voice = try voice(context)
            let body = try request.decode(Body.self)
            guard let sessionId = body.sessionId ?? context.parties.current.parties.keys.sorted().first else {
                throw ControlAPIError.conflict("not in a party: join or create one first, or name it")
            }
            try await perform { try await voice.start(sessionId: sessionId) }
            return try .json(await voice.status())
        },
        ControlRoute("POST", "/v1/voice/stop", "Stop voice (bridge peer and bridge deleted, peers closed).") { _, context in
            let voice = try voice(context)
            await voice.stop(reason: "asked to")
            return try .json(await voice.status())
        },
        ControlRoute("POST", "/v1/voice/mute", "Mute the microphone.") { _, context in
            let voice = try voice(context)
            try await perform { try await voice.setMuted(true) }
            return try .json(await voice.status())
        },
        ControlRoute("POST", "/v1/voice/unmute", "Unmute the microphone.") { _, context in
            let voice = try voice(context)
            try await perform { try await voice.setMuted(false) }
            return try .json(await voice.status())
        },
        ControlRoute("POST", "/v1/voice/volume", "A member's playback volume; body {peer, volume} (0 silent, 1 as received, up to 10).") { request, context in
            struct Body: Decodable { var peer: String; var volume: Double }
            let voice = try voice(context)
            let body = try request.decode(Body.self)
            guard body.volume.isFinite, (0...10).contains(body.volume) else {
                throw ControlAPIError.badRequest("request body: 'volume' must be 0…10")
            }
            try await perform { try await voice.setVolume(body.volume, of: body.peer) }
            return try .json(await voice.status())
        },
    ]

    static func voice(_ context: DaemonContext) throws -> PartyVoice {
        guard let voice = context.voice else {
            throw ControlAPIError.conflict(
                context.inProcess
                    ? "voice runs only inside the daemon: start `partybus up` first"
                    : "voice is disabled (voice.enabled: false)")
        }
        return voice
    }

    /// Voice refusals (not in that party, no such peer …) are the client's problem: 409 with voice's message.
    static func perform(_ action: () async throws -> Void) async throws {
        do { try await action() } catch let error as ControlAPIError { throw error } catch {
            throw ControlAPIError.conflict("\(error)")
        }
    }
}
