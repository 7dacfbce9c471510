import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// sd_notify without libsystemd: datagrams to `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace).
/// `READY=1` once the log is open, the projections are folded and the control socket answers; `WATCHDOG=1` every
/// half of `$WATCHDOG_USEC`; `STATUS=` lines as things change; `STOPPING=1` when shutdown begins.
struct SystemdNotifier: Sendable {
    let socketPath: String
    /// Half the watchdog interval, when systemd asked for one.
    let watchdogInterval: Duration?

    /// The notifier systemd asked for through the environment, or nil when not run by systemd.
    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> SystemdNotifier? {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        var interval: Duration?
        if let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 {
            // WATCHDOG_PID, when set, must be us.
            if let pid = environment["WATCHDOG_PID"], pid != String(getpid()) {
                interval = nil
            } else {
                interval = .microseconds(Int64(clamping: usec / 2))
            }
        }
        return SystemdNotifier(socketPath: path, watchdogInterval: interval)
    }

    /// Sends one message; failures are not fatal (systemd may be gone at shutdown).
    @discardableResult
    func send(_ message: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let sent = message.utf8CString.withUnsafeBufferPointer { text in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, text.baseAddress, text.count - 1, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        return sent >= 0
    }

    /// Runs as a daemon part: waits for `ready`, says so, then keeps the watchdog fed until shutdown.
    func run(ready: @escaping @Sendable () async throws -> String, logger: Logger) async throws {
        do {
            let status = try await ready()
            send("READY=1\nSTATUS=\(status)\nMAINPID=\(getpid())")
            logger.info("systemd: READY=1 (\(status))")
            while true {
                guard let watchdogInterval else {
                    try await Task.sleep(for: .seconds(3600))
                    continue
                }
                try await Task.sleep(for: watchdogInterval)
                send("WATCHDOG=1")
            }
        } catch {
            send("STOPPING=1\nSTATUS=stopping")
            throw error
        }
    }
}
