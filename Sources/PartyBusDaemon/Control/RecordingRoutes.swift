import AutoRecord
import Foundation
import PartyBusCore

/// `GET /v1/recordings`, `GET /v1/recordings/{id}`, `POST /v1/recordings/{id}/export`, `GET /v1/exports/{file}`:
/// the recordings AutoRecord made (every `<data>/plugins/*/recordings`), and cooking them.
enum RecordingRoutes {
    static let routes: [ControlRoute] = [
        ControlRoute("GET", "/v1/recordings", "Recordings, oldest first, with their state (recording, saved, failed) and tracks.") { _, context in
            try .json(["recordings": list(context).map { Entry($0.manifest, folder: $0.folder) }])
        },
        ControlRoute("GET", "/v1/recordings/{id}", "One recording: its manifest, folder and track files.") { request, context in
            let (manifest, folder) = try find(request.parameters["id"] ?? "", context)
            return try .json(Entry(manifest, folder: folder))
        },
        ControlRoute("POST", "/v1/recordings/{id}/export", "Cook a recording (body: {format: flac|wav|mp3|opus|mix|zip}) into <data>/exports.") { request, context in
            struct Body: Decodable { var format: String }
            let body = try request.decode(Body.self)
            guard RecordingExporter.formats.contains(body.format) else {
                throw ControlAPIError.badRequest("request body: format '\(body.format)': use one of \(RecordingExporter.formats.joined(separator: ", "))")
            }
            let (manifest, folder) = try find(request.parameters["id"] ?? "", context)
            guard manifest.state != .recording else { throw ControlAPIError.conflict("recording \(manifest.id) is still recording") }
            let exports = context.config.dataDirectory.appendingPathComponent("exports")
            try FileManager.default.createDirectory(at: exports, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let name = RecordingExporter.fileName(id: manifest.id, format: body.format)
            let output = exports.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: output)
            try await RecordingExporter.export(manifest, folder: folder, format: body.format, output: output)
            try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: output.path)
            let bytes = ((try? FileManager.default.attributesOfItem(atPath: output.path))?[.size] as? NSNumber)?.int64Value ?? 0
            return try .json(Exported(
                id: manifest.id, format: body.format, file: name, path: output.path, bytes: bytes,
                durationSeconds: manifest.durationSeconds ?? 0, download: "/v1/exports/\(name)"))
        },
        ControlRoute("GET", "/v1/exports/{file}", "The bytes of a cooked export (application/octet-stream).") { request, context in
            let name = request.parameters["file"] ?? ""
            guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else { throw ControlAPIError.badRequest("file '\(name)': not an export name") }
            let url = context.config.dataDirectory.appendingPathComponent("exports").appendingPathComponent(name)
            guard let data = try? Data(contentsOf: url) else { throw ControlAPIError.notFound("no export '\(name)' (POST /v1/recordings/{id}/export first)") }
            var answer = ControlResponse.rawJSON(data)
            answer.contentType = "application/octet-stream"
            return answer
        },
    ]

    /// A recording as the API shows it.
    struct Entry: Encodable {
        var id: String
        var state: String
        var sessionId: String
        var partyName: String?
        var startedAt: String
        var endedAt: String?
        var reason: String?
        var durationSeconds: Double?
        var bytes: Int64
        var recovered: Bool
        var folder: String
        var tracks: [RecordingManifest.Track]

        init(_ manifest: RecordingManifest, folder: URL) {
            let format = ISO8601DateFormatter()
            id = manifest.id
            state = manifest.state.rawValue
            sessionId = manifest.sessionId
            partyName = manifest.partyName
            startedAt = format.string(from: Date(timeIntervalSince1970: Double(manifest.startedAt) / 1000))
            endedAt = manifest.endedAt.map { format.string(from: Date(timeIntervalSince1970: Double($0) / 1000)) }
            reason = manifest.reason
            durationSeconds = manifest.durationSeconds
            bytes = manifest.bytes ?? RecordingLibrary.size(of: folder)
            recovered = manifest.recovered ?? false
            self.folder = folder.path
            tracks = manifest.tracks
        }
    }

    /// What an export answers.
    struct Exported: Encodable {
        var id: String
        var format: String
        var file: String
        var path: String
        var bytes: Int64
        var durationSeconds: Double
        var download: String
    }

    static func list(_ context: DaemonContext) -> [(manifest: RecordingManifest, folder: URL)] {
        RecordingLibrary.all(inDataFolder: context.config.dataDirectory).flatMap { $0.list() }
            .sorted { $0.manifest.startedAt < $1.manifest.startedAt }
    }

    static func find(_ id: String, _ context: DaemonContext) throws -> (RecordingManifest, URL) {
        guard let found = list(context).first(where: { $0.manifest.id == id }) else {
            throw ControlAPIError.notFound("no recording '\(id)' (partybus recordings list)")
        }
        return found
    }
}
