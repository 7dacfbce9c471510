import Foundation

/// A small tmpfs a disk-full test mounts (needs root, or CAP_SYS_ADMIN), and a filler file that takes every byte
/// left on it.
public enum SmallDisk {
    /// Whether this process may mount a tmpfs (tried once on a scratch folder).
    public static let canMount: Bool = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("partybus-mount-probe-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard (try? mount(at: probe, megabytes: 1)) != nil else { return false }
        unmount(probe)
        return true
    }()

    /// Mounts a tmpfs of `megabytes` at `path` (created 0700 when missing).
    public static func mount(at path: String, megabytes: Int) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let status = run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700", "tmpfs", path])
        guard status == 0 else { throw MountError(description: "mount -t tmpfs at \(path) failed with status \(status)") }
    }

    /// Unmounts it (lazily: a process that still holds a file there does not keep the test from finishing).
    public static func unmount(_ path: String) {
        _ = run("/bin/umount", ["-l", path])
    }

    /// Writes `path` until the file system is full; returns how many bytes it took.
    @discardableResult
    public static func fill(_ path: String) -> Int {
        guard let file = fopen(path, "w") else { return 0 }
        defer { fclose(file) }
        let chunk = [UInt8](repeating: 0x5A, count: 4096)
        var written = 0
        while true {
            let n = fwrite(chunk, 1, chunk.count, file)
            written += n
            if n < chunk.count || fflush(file) != 0 { break }
        }
        return written
    }

    private static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// `mount` refused.
public struct MountError: Error, CustomStringConvertible {
    public var description: String
}
