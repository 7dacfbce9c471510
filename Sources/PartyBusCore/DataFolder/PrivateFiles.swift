import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Files and folders only the owner may read: the data folder is 0700, the event log, tokens and keys 0600.
public enum PrivateFiles {
    /// Creates `folder` (and its parents) when missing and makes it 0700; an existing folder that others can read
    /// is tightened to 0700 as well.
    public static func prepareFolder(_ folder: String) throws {
        guard !folder.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw PrivateFilesError("\(folder): cannot create the folder (\(error.localizedDescription))")
        }
        var info = stat()
        guard stat(folder, &info) == 0 else { return }
        if info.st_mode & 0o077 != 0, info.st_uid == getuid() { chmod(folder, 0o700) }
    }

    /// Prepares the folder that holds `file`.
    public static func prepareFolder(of file: String) throws {
        try prepareFolder((file as NSString).deletingLastPathComponent)
    }

    /// Creates `path` empty with mode 0600 when it does not exist (so SQLite, which gives its -wal and -shm files the
    /// database's mode, never makes a world-readable log).
    public static func createFile(_ path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw PrivateFilesError("\(path): cannot create (\(String(cString: strerror(errno))))")
        }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & 0o077 != 0, info.st_uid == getuid() { fchmod(fd, 0o600) }
        close(fd)
    }
}

/// A data-folder file could not be created.
public struct PrivateFilesError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, naming the path.
    public let description: String
    init(_ description: String) { self.description = description }
}
