import Foundation
import PartyBusPluginAPI

/// An exec hook's options: the program to run and how to restart it.
struct ExecHookOptions: Decodable, Sendable {
    /// The program and its arguments; a relative program path is resolved against `cwd`, then `PATH`.
    var command: [String]
    /// Extra environment variables for the program.
    var env: [String: String]?
    /// Working directory (default: the engine's).
    var cwd: String?
    /// First restart delay after the program exits (default 200 ms); doubles on each quick exit.
    var restartMinMs: Int?
    /// Longest restart delay (default 30 000 ms).
    var restartMaxMs: Int?

    enum CodingKeys: String, CodingKey {
        case command, env, cwd
        case restartMinMs = "restart_min_ms"
        case restartMaxMs = "restart_max_ms"
    }

    /// Checks the options and resolves the program path; says what is wrong.
    func resolvedExecutable(plugin: String) throws -> String {
        guard let program = command.first, !program.isEmpty else {
            throw PluginError("exec hook '\(plugin)': command must name a program")
        }
        let fm = FileManager.default
        let base = cwd ?? fm.currentDirectoryPath
        var candidates: [String] = []
        if program.contains("/") {
            candidates = [program.hasPrefix("/") ? program : (base as NSString).appendingPathComponent(program)]
        } else {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            candidates = path.split(separator: ":").map { ($0 as NSString).appendingPathComponent(program) }
        }
        guard let found = candidates.first(where: { fm.isExecutableFile(atPath: $0) }) else {
            throw PluginError(
                "exec hook '\(plugin)': program '\(program)' not found or not executable"
                    + (program.contains("/") ? " (looked at \(candidates[0]))" : " (searched PATH)"))
        }
        if let min = restartMinMs, min < 1 { throw PluginError("exec hook '\(plugin)': restart_min_ms must be ≥ 1") }
        if let max = restartMaxMs, max < (restartMinMs ?? 200) {
            throw PluginError("exec hook '\(plugin)': restart_max_ms must be ≥ restart_min_ms")
        }
        return found
    }
}
