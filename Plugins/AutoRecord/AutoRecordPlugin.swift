public import Foundation
public import PartyBusPluginAPI

/// Records party voice, one Ogg Opus track per speaker (their packets as received, not re-encoded), plus our mic and
/// the mix, while voice runs and the triggers hold; announces itself with `record.*` events; closes recordings a
/// crash left open when it starts; applies limits and retention. Options: docs/plugins.md ("AutoRecord").
public actor AutoRecordPlugin: LoadablePlugin {
    public static let name = "auto-record"
    public static let defaultEvents = ["party.*", "voice.*"]

    private let context: any PluginContext
    private let options: AutoRecordOptions
    private let library: RecordingLibrary
    private var parties = PartyFold()
    private var voiceSessions: Set<String> = []
    private var active: ActiveRecording?
    private var refused: [String: String] = [:]
    private var ticker: Task<Void, Never>?
    private var readers: [Task<Void, Never>] = []
    private var failedTap = false
    /// Voice sessions whose recording hit a limit: no new recording there until voice starts again.
    private var limited: Set<String> = []

    public init(context: any PluginContext, options: PluginOptions) async throws {
        self.context = context
        self.options = try options.decode(AutoRecordOptions.self, plugin: context.pluginName)
        try self.options.validate(plugin: context.pluginName)
        let root = context.dataDirectory.appendingPathComponent("recordings")
        library = RecordingLibrary(root: root)
        guard context.mode == .live else { return }
        try PrivateFolder.create(context.dataDirectory)
        try PrivateFolder.create(root)
        for recovery in library.recoverOpen(now: context.now()) {
            let manifest = recovery.manifest
            context.logger.warning("closed a recording left open by a crash", metadata: [
                "id": "\(manifest.id)", "truncatedBytes": "\(recovery.truncatedBytes)"])
            if manifest.state == .failed {
                try await context.publish(RecordFailed(
                    id: manifest.id, sessionId: manifest.sessionId, path: recovery.folder.path,
                    message: "left open by a crash and not repairable: \(recovery.problems.joined(separator: "; "))"))
            } else {
                try await context.publish(saved(manifest, folder: recovery.folder, truncated: recovery.truncatedBytes))
            }
        }
        try await applyRetention()
    }

    public func handle(_ event: Event) async throws {
        let changed = parties.apply(event)
        switch event.type {
        case "voice.started":
            guard let sessionId = Self.session(event) else { return }
            voiceSessions.insert(sessionId)
            limited.remove(sessionId)
            try await evaluate(sessionId)
        case "voice.stopped":
            guard let sessionId = Self.session(event) else { return }
            voiceSessions.remove(sessionId)
            if active?.sessionId == sessionId {
                let why = (try? event.decode(ReasonRef.self))?.reason
                try await finish(reason: "voice stopped" + (why.map { " (\($0))" } ?? ""))
            }
        case "party.left", "party.deleted":
            guard let sessionId = Self.session(event) else { return }
            voiceSessions.remove(sessionId)
            if active?.sessionId == sessionId { try await finish(reason: event.type == "party.left" ? "left" : "party deleted") }
        default:
            if changed, let sessionId = Self.session(event) ?? Self.snapshotSession(event), voiceSessions.contains(sessionId) {
                try await evaluate(sessionId)
            }
        }
    }

    public func stop() async {
        try? await finish(reason: "shutdown")
        ticker?.cancel()
    }

    // MARK: Starting and refusing

    private func evaluate(_ sessionId: String) async throws {
        let party = parties.parties[sessionId] ?? PartyFold.Party()
        if let active, active.sessionId == sessionId {
            if let member = options.disallowed(in: party) { try await finish(reason: "not allowed: \(member)") }
            return
        }
        guard active == nil, !limited.contains(sessionId), let trigger = options.firing(for: party) else { return }
        if let member = options.disallowed(in: party) {
            let reason = "not allowed: \(member)"
            guard refused[sessionId] != reason else { return }
            refused[sessionId] = reason
            try await context.publish(RecordRefused(sessionId: sessionId, reason: reason))
            return
        }
        refused[sessionId] = nil
        try await start(sessionId, party: party, trigger: trigger)
    }

    private func start(_ sessionId: String, party: PartyFold.Party, trigger: String) async throws {
        guard context.mode == .live else {
            try await context.performSideEffect("record party \(sessionId) (trigger \(trigger))") {}
            return
        }
        guard let taps = context.voiceTaps else {
            if !failedTap {
                failedTap = true
                try await context.publish(RecordFailed(
                    id: nil, sessionId: sessionId, path: nil,
                    message: "no voice taps here: recording needs `partybus up` with voice enabled"))
            }
            return
        }
        if let free = RecordingLibrary.freeBytes(at: library.root), free < options.minFreeBytes {
            try await context.publish(RecordFailed(
                id: nil, sessionId: sessionId, path: library.root.path,
                message: "only \(free) bytes free, under limits.minFreeBytes \(options.minFreeBytes)"))
            return
        }
        let startedAt = context.now()
        let id = Self.recordingId(startedAt)
        let folder = library.root.appendingPathComponent(id)
        let recording: ActiveRecording
        do {
            recording = try ActiveRecording(
                id: id, sessionId: sessionId, partyName: party.name, folder: folder, startedAt: startedAt,
                startMonotonic: VoiceTapBuffer.monotonicNow())
            var wanted: [VoiceTapName] = [.peerPackets]
            if options.mic ?? true { wanted.append(.mic) }
            if options.mix ?? true { wanted.append(.mix) }
            for tap in wanted { recording.subscriptions.append(try taps.open(tap, capacity: options.tapCapacity ?? 4096)) }
        } catch {
            try await context.publish(RecordFailed(id: id, sessionId: sessionId, path: folder.path, message: "\(error)"))
            return
        }
        active = recording
        try await context.publish(RecordStarted(id: id, sessionId: sessionId, partyName: party.name, path: folder.path, trigger: trigger))
        context.logger.notice("recording party", metadata: ["id": "\(id)", "sessionId": "\(sessionId)", "path": "\(folder.path)"])
        for subscription in recording.subscriptions {
            readers.append(Task { [weak self] in
                for await buffer in subscription.buffers { await self?.received(buffer, id: id) }
            })
        }
        if ticker == nil {
            ticker = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(500))
                    await self?.tick()
                }
            }
        }
    }

    // MARK: Recording

    private func received(_ buffer: VoiceTapBuffer, id: String) async {
        guard let active, active.id == id, buffer.sessionId == nil || buffer.sessionId == active.sessionId else { return }
        do {
            let sessionId = active.sessionId
            if let track = try active.receive(buffer, onlineId: { self.parties.onlineId(of: $0, in: sessionId) }) {
                _ = try? await context.publish(RecordTrackAdded(
                    id: id, kind: track.kind, path: track.path, accountId: track.accountId, onlineId: track.onlineId,
                    firstAudioMs: track.firstAudioMs))
            }
        } catch {
            await fail(error)
        }
    }

    private func tick() async {
        guard let active else { return }
        let now = VoiceTapBuffer.monotonicNow()
        do {
            try active.tick(nowMonotonic: now)
            if active.elapsed(nowMonotonic: now) >= options.maxDuration {
                try await finish(reason: "limit: duration")
            } else if active.bytes >= options.maxBytes {
                try await finish(reason: "limit: bytes")
            } else if let free = RecordingLibrary.freeBytes(at: active.folder), free < options.minFreeBytes {
                try await finish(reason: "limit: free disk")
            }
        } catch {
            await fail(error)
        }
    }

    private func fail(_ error: any Error) async {
        guard let active else { return }
        _ = try? await context.publish(RecordFailed(id: active.id, sessionId: active.sessionId, path: active.folder.path, message: "\(error)"))
        try? await finish(reason: "failed: \(error)")
    }

    // MARK: Finishing

    private func finish(reason: String) async throws {
        guard let recording = active else { return }
        active = nil
        if reason.hasPrefix("limit:") { limited.insert(recording.sessionId) }
        for reader in readers { reader.cancel() }
        readers = []
        let (manifest, problems) = recording.finish(reason: reason, endedAt: context.now())
        if !problems.isEmpty {
            try await context.publish(RecordFailed(
                id: manifest.id, sessionId: manifest.sessionId, path: recording.folder.path, message: problems.joined(separator: "; ")))
        }
        try await context.publish(saved(manifest, folder: recording.folder, truncated: 0))
        context.logger.notice("recording saved", metadata: ["id": "\(manifest.id)", "reason": "\(reason)"])
        try await applyRetention()
    }

    private func saved(_ manifest: RecordingManifest, folder: URL, truncated: Int) -> RecordSaved {
        RecordSaved(
            id: manifest.id, sessionId: manifest.sessionId, path: folder.path, reason: manifest.reason ?? "",
            durationSeconds: manifest.durationSeconds ?? 0, bytes: manifest.bytes ?? 0,
            tracks: manifest.tracks.map {
                RecordTrackSummary(
                    kind: $0.kind, path: folder.appendingPathComponent($0.file).path, accountId: $0.accountId,
                    durationSeconds: $0.durationSeconds ?? 0, bytes: $0.bytes ?? 0)
            },
            recovered: manifest.recovered ?? false, truncatedBytes: truncated, droppedBuffers: manifest.droppedBuffers ?? 0)
    }

    private func applyRetention() async throws {
        guard options.retention?.days != nil || options.retention?.maxTotalBytes != nil else { return }
        for removed in library.applyRetention(days: options.retention?.days, maxTotalBytes: options.retention?.maxTotalBytes, now: context.now()) {
            try await context.publish(RecordRemoved(id: removed.id, reason: removed.reason, bytes: removed.bytes))
        }
    }

    // MARK: Helpers

    private struct SessionRef: Decodable { var sessionId: String }
    private struct SnapshotRef: Decodable { var party: SessionRef }
    private struct ReasonRef: Decodable { var reason: String? }

    private static func session(_ event: Event) -> String? { (try? event.decode(SessionRef.self))?.sessionId }
    private static func snapshotSession(_ event: Event) -> String? { (try? event.decode(SnapshotRef.self))?.party.sessionId }

    /// `20261202-013501-123` (UTC, ms): sorts by time, one folder per start.
    static func recordingId(_ ms: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let date = Date(timeIntervalSince1970: Double(ms) / 1000)
        return formatter.string(from: date) + "-" + String(format: "%03d", Int(ms % 1000))
    }
}
