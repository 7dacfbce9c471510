import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Replaces a small file (tokens, keys, ids) so that a crash or a power cut at any moment leaves either the old
/// contents or the new ones, never an empty or half-written file, and the new ones for certain once `write` returns:
/// write a 0600 temporary file beside it, fsync it, rename it over the old one, fsync the folder (the rename lives in
/// the folder's entry, which is not on disk until the folder is synced).
public enum DurableFile {
    /// Writes `data` to `path` as described above; the folder must exist. Errors name the file and the step.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws {
        try write(data, to: path, mode: mode, calls: POSIXFileCalls())
    }

    /// The same steps through `calls` (tests pass a simulated disk); `syncFolder: false` exists only so a test can
    /// show that the power-cut checker catches a writer that skips the last step.
    static func write(_ data: Data, to path: String, mode: mode_t, calls: some FileCalls, syncFolder: Bool = true) throws {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let temporary = path + ".tmp-\(getpid())"
        let fd = calls.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw DurableFileError(path: temporary, step: "create", errno: calls.lastError) }
        var failure: DurableFileError?
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = calls.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && calls.lastError == EINTR { continue }
                guard written > 0 else {
                    failure = DurableFileError(path: temporary, step: "write", errno: calls.lastError)
                    return
                }
                offset += written
            }
        }
        if failure == nil, calls.fsync(fd) != 0 { failure = DurableFileError(path: temporary, step: "fsync", errno: calls.lastError) }
        if calls.close(fd) != 0, failure == nil { failure = DurableFileError(path: temporary, step: "close", errno: calls.lastError) }
        if failure == nil, calls.rename(temporary, path) != 0 {
            failure = DurableFileError(path: path, step: "rename", errno: calls.lastError)
        }
        if let failure {
            _ = calls.unlink(temporary)
            throw failure
        }
        guard syncFolder else { return }
        let directory = calls.open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        guard directory >= 0 else { throw DurableFileError(path: folder, step: "open the folder", errno: calls.lastError) }
        defer { _ = calls.close(directory) }
        guard calls.fsync(directory) == 0 else {
            throw DurableFileError(path: folder, step: "fsync the folder", errno: calls.lastError)
        }
    }
}

/// A durable write that failed: which file, at which step, and what the system said.
public struct DurableFileError: Error, CustomStringConvertible, Sendable {
    /// The file or folder.
    public var path: String
    /// `create`, `write`, `fsync`, `close`, `rename`, `open the folder`, `fsync the folder`.
    public var step: String
    /// The system's error number.
    public var errno: Int32
    /// Readable.
    public var description: String { "\(path): cannot \(step) (\(String(cString: strerror(errno))))" }
}

/// The system calls a durable write makes, so a test can run the same steps against a simulated disk.
protocol FileCalls {
    func open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32
    func write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int
    func fsync(_ fd: Int32) -> Int32
    func close(_ fd: Int32) -> Int32
    func rename(_ from: String, _ to: String) -> Int32
    func unlink(_ path: String) -> Int32
    /// `errno` after the last failed call.
    var lastError: Int32 { get }
}

/// The real calls.
struct POSIXFileCalls: FileCalls {
    func open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Glibc.open(path, flags, mode) }
    func write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { Glibc.write(fd, bytes, count) }
    func fsync(_ fd: Int32) -> Int32 { Glibc.fsync(fd) }
    func close(_ fd: Int32) -> Int32 { Glibc.close(fd) }
    func rename(_ from: String, _ to: String) -> Int32 { Glibc.rename(from, to) }
    func unlink(_ path: String) -> Int32 { Glibc.unlink(path) }
    var lastError: Int32 { errno }
}
