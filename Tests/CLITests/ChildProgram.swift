import Foundation
import Testing

/// Any program run beside `partybus` in a test (a Python receiver, `swift build`), its output collected as it comes.
final class ChildProgram: Sendable {
    let process: Process
    let stdout: Collector
    let stderr: Collector

    /// Starts `executable arguments…` in `directory` (default: the package root).
    init(_ executable: String, _ arguments: [String], directory: URL? = nil, environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? PartybusProcess.packageRoot
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PARTYBUS_") }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        stdout = Collector(out.fileHandleForReading)
        stderr = Collector(err.fileHandleForReading)
    }

    /// Waits for it to end and returns its status.
    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
