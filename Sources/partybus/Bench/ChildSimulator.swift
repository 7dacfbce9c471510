import Foundation
import PSNSimulator
import Voice

/// A `partybus sim --media` child process (the simulator and its media members), so that what `bench voice`
/// measures in its own process is our side alone.
final class ChildSimulator: Sendable {
    /// The simulator's base URL.
    let baseURL: String
    private let process: Process

    /// Starts `partybus sim` with `configuration`, members' media recorded into `folder`, the members' `tones` (in
    /// account order) and members talking only to clients; returns once it listens (throws if it exits first).
    init(configuration: SimulatorConfiguration, tones: [Double], folder: URL) async throws {
        let configFile = folder.appendingPathComponent("sim.json")
        try JSONEncoder().encode(["sim": configuration]).write(to: configFile)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        child.arguments = [
            "sim", "--config", configFile.path, "--data-dir", folder.appendingPathComponent("sim").path,
            "--media", folder.appendingPathComponent("recordings").path,
            "--media-tones", tones.map { String(Int($0)) }.joined(separator: ","), "--media-clients-only",
            "--log-level", "error",
        ]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        process = child
        // Read its first lines on a thread of their own (a pipe read blocks), until the listening line.
        let reading = output.fileHandleForReading
        let line: String? = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var text = ""
                while true {
                    let chunk = reading.availableData
                    if chunk.isEmpty { continuation.resume(returning: nil); return }
                    text += String(decoding: chunk, as: UTF8.self)
                    if let line = text.split(separator: "\n").first(where: { $0.contains("listening on ") }) {
                        continuation.resume(returning: String(line))
                        // Keep draining, so the child never blocks on a full pipe.
                        while !reading.availableData.isEmpty {}
                        return
                    }
                }
            }
        }
        guard let line, let url = line.split(separator: " ").last else {
            child.terminate()
            throw VoiceError("the child simulator (partybus sim --media) did not start")
        }
        baseURL = String(url)
    }

    /// The child's CPU seconds so far (user + system, from /proc), for information.
    var cpuSeconds: Double? { ProcessUsage.cpuSeconds(pid: process.processIdentifier) }

    /// Stops the child (SIGTERM: it finishes its members' recordings) and waits for it.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
