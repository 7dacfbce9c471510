import Foundation
import PartyBusPluginAPI

#if canImport(Glibc)
import Glibc
#endif

/// A file created 0600 that the recorder appends to with plain `write(2)` (no user-space buffer: what was written
/// survives a SIGKILL of the process), and can rewrite in place (WAV sizes on finishing).
final class AppendOnlyFile {
    let path: String
    private var descriptor: Int32
    private(set) var size: Int64 = 0

    /// Creates the file (it must not exist), mode 0600.
    init(creating path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw PluginError("cannot create \(path): \(String(cString: strerror(errno)))") }
    }

    /// Appends every byte (retrying short writes); throws on a full disk or any other error.
    func append(_ bytes: [UInt8]) throws {
        try write(bytes, at: nil)
        size += Int64(bytes.count)
    }

    /// Writes `bytes` at `offset` (without moving the end).
    func overwrite(_ bytes: [UInt8], at offset: Int64) throws { try write(bytes, at: offset) }

    private func write(_ bytes: [UInt8], at offset: Int64?) throws {
        guard descriptor >= 0 else { throw PluginError("\(path) is closed") }
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let base = raw.baseAddress! + done
                let written = offset.map { pwrite(descriptor, base, raw.count - done, off_t($0) + off_t(done)) }
                    ?? Glibc.write(descriptor, base, raw.count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw PluginError("cannot write \(path): \(String(cString: strerror(errno)))")
                }
                done += written
            }
        }
    }

    /// Flushes to the device and closes.
    func close() {
        guard descriptor >= 0 else { return }
        _ = fdatasync(descriptor)
        _ = Glibc.close(descriptor)
        descriptor = -1
    }

    deinit { close() }
}

/// Folders 0700, files 0600 (the data folder's rule, `PrivateFiles` in Core).
enum PrivateFolder {
    static func create(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.path)
    }

    /// Writes `data` to `url` atomically, mode 0600.
    static func write(_ data: Data, to url: URL) throws {
        let temporary = url.appendingPathExtension("tmp")
        FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600])
        guard rename(temporary.path, url.path) == 0 else {
            throw PluginError("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
