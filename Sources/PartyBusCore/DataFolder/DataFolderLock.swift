import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The one-writer rule of a data folder: an exclusive `flock` on `<data>/partybus.lock`, held by `partybus up` for
/// its lifetime (or by a CLI command that writes while no daemon runs). The holder's pid is written into the file
/// so the one who is refused can be told who holds it. The kernel drops the lock when the process dies, even by
/// SIGKILL, so a stale file never blocks anyone.
public final class DataFolderLock: Sendable {
    /// The lock file.
    public let path: String
    private let fd: Int32

    /// The lock file of a data folder.
    public static func path(in folder: URL) -> String { folder.appendingPathComponent("partybus.lock").path }

    /// Takes the lock without waiting; throws `DataFolderLockError.held` naming the holder's pid when another
    /// process has it.
    public init(folder: URL, purpose: String) throws {
        try PrivateFiles.prepareFolder(folder.path)
        path = Self.path(in: folder)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DataFolderLockError(kind: .io, message: "\(path): cannot open the lock file (\(String(cString: strerror(errno))))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.holder(fd: fd)
            close(fd)
            throw DataFolderLockError(
                kind: .held(pid: holder?.pid),
                message: "another partybus\(holder.map { " (pid \($0.pid), \($0.purpose))" } ?? "") holds \(path): "
                    + "only one process may write this data folder")
        }
        self.fd = fd
        let line = "\(getpid()) \(purpose)\n"
        ftruncate(fd, 0)
        _ = line.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Who holds the lock of `folder` now (nil when nobody does).
    public static func holder(of folder: URL) -> (pid: Int32, purpose: String)? {
        let fd = open(path(in: folder), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Free when we could take a shared lock.
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        return holder(fd: fd)
    }

    private static func holder(fd: Int32) -> (pid: Int32, purpose: String)? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: " ", maxSplits: 1)
        guard let first = parts.first, let pid = Int32(first) else { return nil }
        return (pid, parts.count > 1 ? String(parts[1]) : "")
    }

    /// Lets go of the lock (also done when the process exits).
    public func release() {
        flock(fd, LOCK_UN)
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// The data folder's lock could not be taken.
public struct DataFolderLockError: Error, CustomStringConvertible, Sendable {
    /// Why.
    public enum Kind: Sendable, Equatable {
        /// Another process holds it.
        case held(pid: Int32?)
        /// The lock file could not be opened.
        case io
    }

    /// Why.
    public let kind: Kind
    /// What to tell the user.
    public let message: String

    public var description: String { message }
}
