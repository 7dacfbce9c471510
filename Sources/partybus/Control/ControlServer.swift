import Foundation
import Hummingbird
import Logging
import PartyVoice

/// The daemon's control API on a Unix domain socket (`<data>/control.sock`, mode 0600): what `partybus voice …`
/// talks to. JSON in and out; errors are `{"error": "…"}` with a 4xx status.
struct ControlServer: Sendable {
    let socketPath: String
    let voice: PartyVoice
    let currentParty: @Sendable () -> String?
    let logger: Logger

    /// Serves until cancelled.
    func run() async throws {
        try? FileManager.default.removeItem(atPath: socketPath)
        let router = Router()
        let voice = self.voice
        let currentParty = self.currentParty
        router.get("/v1/voice") { _, _ in try Self.json(await voice.status()) }
        router.post("/v1/voice/start") { request, context in
            let body = try? await request.decode(as: StartBody.self, context: context)
            guard let sessionId = body?.sessionId ?? currentParty() else {
                return Self.failure("not in a party: join or create one first, or name it")
            }
            return try await Self.perform { try await voice.start(sessionId: sessionId) } then: { try Self.json(await voice.status()) }
        }
        router.post("/v1/voice/stop") { _, _ in
            await voice.stop(reason: "asked to")
            return try Self.json(await voice.status())
        }
        router.post("/v1/voice/mute") { _, _ in
            try await Self.perform { try await voice.setMuted(true) } then: { try Self.json(await voice.status()) }
        }
        router.post("/v1/voice/unmute") { _, _ in
            try await Self.perform { try await voice.setMuted(false) } then: { try Self.json(await voice.status()) }
        }
        router.post("/v1/voice/volume") { request, context in
            guard let body = try? await request.decode(as: VolumeBody.self, context: context) else {
                return Self.failure("body must be {\"peer\": \"<account id>\", \"volume\": <0…10>}")
            }
            return try await Self.perform { try await voice.setVolume(body.volume, of: body.peer) } then: { try Self.json(await voice.status()) }
        }
        let socketPath = self.socketPath
        let app = Application(
            router: router,
            configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: "partybus-control"),
            onServerRunning: { _ in chmod(socketPath, 0o600) },
            logger: logger)
        defer { try? FileManager.default.removeItem(atPath: socketPath) }
        // As a service of the daemon's ServiceGroup: it stops on graceful shutdown, after finishing requests.
        try await app.runService()
    }

    struct StartBody: Decodable { var sessionId: String? }
    struct VolumeBody: Decodable { var peer: String; var volume: Double }

    static func perform(_ action: () async throws -> Void, then: () async throws -> Response) async throws -> Response {
        do { try await action() } catch { return failure("\(error)") }
        return try await then()
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    static func failure(_ message: String) -> Response {
        (try? json(["error": message], status: .badRequest)) ?? Response(status: .badRequest)
    }
}
