import Foundation

/// What a process holds at one moment, from `/proc/<pid>`: resident memory, open file descriptors and threads. The
/// soak bench samples it to see whether anything grows.
struct ProcessFootprint: Sendable {
    /// Resident memory in MB (`VmRSS`).
    var rssMB: Double
    /// The anonymous part of it in MB (`RssAnon`: heap and stacks, not mapped files and libraries).
    var anonymousMB: Double
    /// Open file descriptors (entries of `/proc/<pid>/fd`).
    var fileDescriptors: Int
    /// Threads (entries of `/proc/<pid>/task`).
    var threads: Int

    /// The footprint of `pid` now; nil when the process is gone.
    static func of(pid: Int32) -> ProcessFootprint? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let rss = kilobytes("VmRSS:", in: status), let anonymous = kilobytes("RssAnon:", in: status),
            let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"),
            let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        else { return nil }
        return ProcessFootprint(
            rssMB: rss / 1024, anonymousMB: anonymous / 1024, fileDescriptors: fds.count, threads: tasks.count)
    }

    /// The kB figure of a `/proc/<pid>/status` line such as `VmRSS:   1234 kB`.
    private static func kilobytes(_ key: String, in status: String) -> Double? {
        let line = status.split(separator: "\n").first { $0.hasPrefix(key) }
        return line?.split(separator: " ").dropFirst().first.flatMap { Double($0) }
    }
}
