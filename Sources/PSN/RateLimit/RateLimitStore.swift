import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The shared sliding window in one SQLite file: a row per request sent within the last window, stamped with
/// wall-clock milliseconds (every process of the machine reads the same clock). Each decision is one tiny
/// `BEGIN IMMEDIATE` transaction, so processes sharing the file never both take the last slot.
///
/// The file holds nothing worth keeping: one that is not a database (garbage, damage) is deleted and created
/// again, with a warning naming it. A file replaced by another process is noticed before every decision
/// (`SQLITE_FCNTL_HAS_MOVED`) and reopened.
final class RateLimitStore {
    /// What one decision found.
    enum Outcome: Sendable, Equatable {
        /// A slot was taken: send.
        case granted
        /// The window is full; the oldest slot frees in this many ms.
        case full(waitMs: Int64)
        /// Another process holds the file's lock right now: try again in a moment.
        case busy
    }

    /// The database file.
    let path: String
    private let logger: Logger
    private var file: SQLiteFile?

    /// A store at `path` (opened on first use).
    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    /// Takes a slot if fewer than `limit` were taken in the last `windowMs`; `now` (wall-clock ms) is read once
    /// the transaction holds the lock.
    func take(limit: Int, windowMs: Int64, now: () -> Int64) throws -> Outcome {
        do {
            return try takeOnce(limit: limit, windowMs: windowMs, now: now)
        } catch let failure as SQLiteFile.Failure where failure.isGarbage {
            logger.warning("rate limit: \(path) is not a usable database (\(failure)); creating it again")
            recreate()
            do {
                return try takeOnce(limit: limit, windowMs: windowMs, now: now)
            } catch let failure as SQLiteFile.Failure {
                if failure.isBusy { return .busy }
                throw PSNError.configuration("rate limit file: \(failure) (delete the file; it holds nothing worth keeping)")
            }
        } catch let failure as SQLiteFile.Failure {
            if failure.isBusy { return .busy }
            throw PSNError.configuration("rate limit file: \(failure)")
        }
    }

    private func takeOnce(limit: Int, windowMs: Int64, now: () -> Int64) throws -> Outcome {
        let db = try connection()
        try db.execute("BEGIN IMMEDIATE")
        do {
            let at = now()
            // Expired rows go, and so do rows far in the future (the clock was set back).
            try db.query("DELETE FROM slots WHERE at <= ? OR at > ?", [at - windowMs, at + 1000])
            let count = try db.query("SELECT COUNT(*) FROM slots").first?.first.flatMap { $0 } ?? 0
            let outcome: Outcome
            if count < Int64(limit) {
                try db.query("INSERT INTO slots(at) VALUES (?)", [at])
                outcome = .granted
            } else {
                // The slot that frees first for us: with `limit` lowered since, not necessarily the oldest.
                let frees = try db.query("SELECT at FROM slots ORDER BY at LIMIT 1 OFFSET ?", [count - Int64(limit)])
                let oldest = frees.first?.first.flatMap { $0 } ?? at
                outcome = .full(waitMs: min(max(1, oldest + windowMs - at), windowMs + 1000))
            }
            try db.execute("COMMIT")
            return outcome
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    /// The open connection, (re)opened when there is none or the file at `path` is no longer the one it opened.
    private func connection() throws -> SQLiteFile {
        if let file, !file.hasMoved() { return file }
        file = nil
        try createPrivately()
        let db = try SQLiteFile(path: path)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("PRAGMA synchronous=NORMAL")
        try db.execute("CREATE TABLE IF NOT EXISTS slots(at INTEGER NOT NULL)")
        file = db
        return db
    }

    /// Creates the file owner-only (0600) before SQLite opens it, when there is none; SQLite gives its -wal and -shm
    /// files the same mode. An existing file is left alone: closing a descriptor of a file would drop the POSIX locks
    /// other connections of this process hold on it. A symbolic link or anything but a regular file is refused.
    private func createPrivately() throws {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw PSNError.configuration("rate limit file \(path): not a regular file")
            }
            return
        }
        let folder = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 && errno == EEXIST { return }
        guard fd >= 0 else {
            throw PSNError.configuration("rate limit file \(path): cannot create (\(String(cString: strerror(errno))))")
        }
        fchmod(fd, 0o600)
        close(fd)
    }

    /// Deletes the file and its journals; the next decision creates it again.
    private func recreate() {
        file = nil
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
    }
}
