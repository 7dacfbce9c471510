public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The recordings in one folder (`<data>/plugins/<name>/recordings`): each a sub-folder with `recording.json` and
/// its tracks. Lists them, closes those a crash left open, and applies retention.
public struct RecordingLibrary: Sendable {
    /// The folder.
    public let root: URL

    /// A library at `root`.
    public init(root: URL) { self.root = root }

    /// Every recording folder of every plugin instance in data folder `data` (`<data>/plugins/*/recordings`).
    public static func all(inDataFolder data: URL) -> [RecordingLibrary] {
        let plugins = data.appendingPathComponent("plugins")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: plugins.path)) ?? []
        return names.sorted().map { RecordingLibrary(root: plugins.appendingPathComponent($0).appendingPathComponent("recordings")) }
            .filter { FileManager.default.fileExists(atPath: $0.root.path) }
    }

    /// The recordings, oldest first, with their folders; unreadable manifests are skipped.
    public func list() -> [(manifest: RecordingManifest, folder: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().compactMap { name in
            let folder = root.appendingPathComponent(name)
            return (try? RecordingManifest.read(in: folder)).map { ($0, folder) }
        }
    }

    /// Bytes of everything in a recording's folder.
    public static func size(of folder: URL) -> Int64 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)
            return total + ((attributes?[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }

    /// What closing a recording left open did.
    public struct Recovery: Sendable {
        /// The manifest as now saved.
        public var manifest: RecordingManifest
        /// Its folder.
        public var folder: URL
        /// Bytes of torn pages cut.
        public var truncatedBytes: Int
        /// Problems with single tracks (the rest was recovered).
        public var problems: [String]
    }

    /// Closes every recording still marked `recording` (the process died while recording): each track is
    /// repaired and measured, the manifest saved with `recovered: true`.
    public func recoverOpen(now: Int64) -> [Recovery] {
        var out: [Recovery] = []
        for (manifest, folder) in list() where manifest.state == .recording {
            var manifest = manifest
            var truncated = 0
            var problems: [String] = []
            for index in manifest.tracks.indices {
                let path = folder.appendingPathComponent(manifest.tracks[index].file).path
                do {
                    let outcome = try RecordingRepair.repair(path)
                    truncated += outcome.truncatedBytes
                    manifest.tracks[index].durationSeconds = outcome.seconds
                    manifest.tracks[index].bytes = outcome.bytes
                } catch {
                    problems.append("\(error)")
                }
            }
            manifest.state = problems.count == manifest.tracks.count && !problems.isEmpty ? .failed : .saved
            manifest.reason = manifest.reason ?? "crash"
            manifest.recovered = true
            manifest.endedAt = manifest.endedAt ?? (manifest.startedAt + Int64((manifest.tracks.compactMap(\.durationSeconds).max() ?? 0) * 1000))
            manifest.durationSeconds = manifest.tracks.compactMap(\.durationSeconds).max() ?? 0
            manifest.bytes = manifest.tracks.compactMap(\.bytes).reduce(0, +)
            try? manifest.write(in: folder)
            out.append(Recovery(manifest: manifest, folder: folder, truncatedBytes: truncated, problems: problems))
        }
        return out
    }

    /// Deletes recordings that ended more than `days` ago and then the oldest while the total is over `maxTotalBytes`, never
    /// one still recording. Returns what went, with why.
    public func applyRetention(days: Double?, maxTotalBytes: Int64?, now: Int64) -> [(id: String, reason: String, bytes: Int64)] {
        var removed: [(id: String, reason: String, bytes: Int64)] = []
        var kept: [(manifest: RecordingManifest, folder: URL, bytes: Int64)] = []
        for (manifest, folder) in list() {
            let bytes = Self.size(of: folder)
            if let days, manifest.state != .recording, Double(now - (manifest.endedAt ?? manifest.startedAt)) > days * 86_400_000 {
                if (try? FileManager.default.removeItem(at: folder)) != nil {
                    removed.append((manifest.id, "older than \(Self.format(days)) days", bytes))
                    continue
                }
            }
            kept.append((manifest, folder, bytes))
        }
        if let maxTotalBytes {
            var total = kept.reduce(0) { $0 + $1.bytes }
            for entry in kept where total > maxTotalBytes && entry.manifest.state != .recording {
                if (try? FileManager.default.removeItem(at: entry.folder)) != nil {
                    removed.append((entry.manifest.id, "total over \(maxTotalBytes) bytes", entry.bytes))
                    total -= entry.bytes
                }
            }
        }
        return removed
    }

    /// Free bytes on the file system holding `url`.
    public static func freeBytes(at url: URL) -> Int64? {
        var stats = statvfs()
        guard statvfs(url.path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
