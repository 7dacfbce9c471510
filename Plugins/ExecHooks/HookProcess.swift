import Foundation
import PartyBusPluginAPI

#if canImport(Glibc)
import Glibc
#endif

/// One running child process of a hook: its pipes, a blocking writer off the cooperative pool, and line readers.
final class HookProcess: @unchecked Sendable {
    let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let writeQueue: DispatchQueue
    let startedAt = ContinuousClock.now

    /// Starts `executable`; `onLine` gets stdout lines, `onError` stderr lines, `onExit` the exit status once.
    init(
        executable: String, arguments: [String], environment: [String: String], cwd: String?, label: String,
        onLine: @escaping @Sendable (Data) -> Void, onError: @escaping @Sendable (String) -> Void,
        onExit: @escaping @Sendable (Int32, Bool) -> Void
    ) throws {
        writeQueue = DispatchQueue(label: "partybus.hook.\(label).stdin")
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.terminationHandler = { process in
            onExit(process.terminationStatus, process.terminationReason == .uncaughtSignal)
        }
        try process.run()
        HookProcess.readLines(from: stdoutPipe.fileHandleForReading, label: label) { onLine($0) }
        HookProcess.readLines(from: stderrPipe.fileHandleForReading, label: label) {
            onError(String(decoding: $0, as: UTF8.self))
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// Writes all of `data` to the child's stdin, blocking a dispatch thread (never a Swift concurrency thread).
    func write(_ data: Data) async throws {
        let fd = stdinPipe.fileHandleForWriting.fileDescriptor
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            writeQueue.async {
                var failure: (any Error)?
                data.withUnsafeBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                        if n < 0 {
                            if errno == EINTR { continue }
                            failure = PluginError("cannot write to the hook's stdin: \(String(cString: strerror(errno)))")
                            return
                        }
                        offset += n
                    }
                }
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
            }
        }
    }

    /// Closes stdin (the hook sees end of input), then waits up to `grace` before SIGTERM and SIGKILL.
    func terminate(grace: Duration) async {
        try? stdinPipe.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(pid, SIGTERM) }
        let hardDeadline = ContinuousClock.now + .seconds(1)
        while process.isRunning && ContinuousClock.now < hardDeadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(pid, SIGKILL) }
    }

    /// Reads lines on a dispatch thread until end of file.
    private static func readLines(
        from handle: FileHandle, label: String, _ deliver: @escaping @Sendable (Data) -> Void
    ) {
        let fd = handle.fileDescriptor
        DispatchQueue(label: "partybus.hook.\(label).read").async {
            var pending = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                pending.append(contentsOf: buffer[0..<n])
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = pending[pending.startIndex..<newline]
                    if !line.isEmpty { deliver(Data(line)) }
                    pending.removeSubrange(pending.startIndex...newline)
                }
                if pending.count > 1 << 20 {
                    deliver(pending)
                    pending.removeAll()
                }
            }
            if !pending.isEmpty { deliver(pending) }
            try? handle.close()
        }
    }
}
