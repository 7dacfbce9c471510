import Foundation

/// CPU time and memory of a process, as `bench voice` reports them: CPU of every thread (GStreamer's included) from
/// `getrusage` or `/proc/<pid>/stat`, resident memory (peak: the kernel's high-water mark) from `/proc/self/status`, and the machine's load.
enum ProcessUsage {
    /// This process's CPU seconds (user + system, all threads).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Another process's CPU seconds (user + system), nil when it is gone.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// This process's voluntary context switches so far (every thread: each is a thread that blocked, e.g. a
    /// buffer handed to another thread). Unlike CPU time, hardly affected by what else the machine runs.
    static func voluntarySwitches() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_nvcsw
    }

    /// This process's resident memory in MB: now (`VmRSS`) or its peak so far (`VmHWM`).
    static func residentMB(peak: Bool = false) -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let key = peak ? "VmHWM:" : "VmRSS:"
        let line = status.split(separator: "\n").first { $0.hasPrefix(key) } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }

    /// The machine's 1-minute load average (the bench shares the machine; this says how loaded it was).
    static func loadAverage() -> Double {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return Double(text.split(separator: " ").first ?? "") ?? 0
    }

    /// CPU % of one core, peak resident MB and voluntary context switches per second of this process over
    /// `seconds`, and the child's CPU % if given.
    static func measure(seconds: Double, child: ChildSimulator? = nil) async throws
        -> (cpu: Double, rssMB: Double, switchesPerSecond: Double, childCPU: Double?)
    {
        let startCPU = cpuSeconds(), startChild = child?.cpuSeconds, startSwitches = voluntarySwitches(), start = ContinuousClock.now
        // One sleep, nothing polled: the window's CPU is the graph's, not the bench's own. The peak comes from the
        // kernel's high-water mark (party sizes only grow, so it is this window's peak or the joins' just before).
        try await Task.sleep(for: .seconds(seconds))
        let peak = residentMB(peak: true)
        let wall = (ContinuousClock.now - start).seconds
        let childCPU: Double? = if let startChild, let end = child?.cpuSeconds { (end - startChild) / wall * 100 } else { nil }
        return ((cpuSeconds() - startCPU) / wall * 100, peak, Double(voluntarySwitches() - startSwitches) / wall, childCPU)
    }
}
