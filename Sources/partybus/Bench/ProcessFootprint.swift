import Foundation

/// What a process holds at one moment, from `/proc/<pid>`: resident memory, open file descriptors and threads. The
/// soak bench samples it to see whether anything grows.
struct ProcessFootprint: Sendable {
    /// Resident memory in MB (`VmRSS`).
    var rssMB: Double
    /// Open file descriptors (entries of `/proc/<pid>/fd`).
    var fileDescriptors: Int
    /// Threads (entries of `/proc/<pid>/task`).
    var threads: Int

    /// The footprint of `pid` now; nil when the process is gone.
    static func of(pid: Int32) -> ProcessFootprint? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let rss = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = rss.split(separator: " ").dropFirst().first.flatMap({ Double($0) }),
            let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"),
            let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        else { return nil }
        return ProcessFootprint(rssMB: kilobytes / 1024, fileDescriptors: fds.count, threads: tasks.count)
    }
}
