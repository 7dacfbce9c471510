import ArgumentParser
import Foundation
import PSN
import PartyBusCore

#if canImport(Glibc)
import Glibc
#endif

/// Building the PSN client from the configuration, for the commands that talk to PSN.
enum PSNSupport {
    /// The `psn:` settings, checked.
    static func settings(_ config: PartyBusConfig) throws -> PSNSettings {
        do {
            let settings = try PSNSettings.from(config)
            try settings.validateURLs()
            return settings
        } catch let error as PSNError {
            printError("\(error)")
            throw ExitCode(2)
        }
    }

    /// Reads a secret without putting it in argv or on the screen: from `variable` in the environment, else a
    /// line on standard input when it is not a terminal, else a prompt with echo off.
    static func readSecret(prompt: String, variable: String) throws -> Secret {
        if let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty { return Secret(value) }
        if isatty(STDIN_FILENO) == 0 {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("expected the value on standard input (or in \(variable))")
            }
            return Secret(line.trimmingCharacters(in: .whitespaces))
        }
        FileHandle.standardError.write(Data(prompt.utf8))
        var settings = termios()
        tcgetattr(STDIN_FILENO, &settings)
        var silent = settings
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, &settings)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("nothing entered") }
        return Secret(line.trimmingCharacters(in: .whitespaces))
    }

    /// Runs `body`, turning PSN errors into one clear line and exit status 1.
    static func reporting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSNError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}
