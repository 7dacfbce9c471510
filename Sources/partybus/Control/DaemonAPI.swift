import ArgumentParser
import Foundation
import PSN
import PartyBusCore
import PartyBusDaemon

/// How a CLI command reaches the control API: the running daemon over its socket, or — with no daemon running —
/// the same API answered in this process while it holds the data folder's lock, so there are never two writers.
enum DaemonAPI {
    /// Sends one request; returns the JSON body of a 2xx answer, else prints the API's error and exits 1.
    static func call(
        _ global: GlobalOptions, _ method: String, _ path: String, query: [String: [String]] = [:], body: [String: Any]? = nil
    ) async throws -> Data {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let (status, answer) = try await send(global, method, path, query: query, body: data)
        guard (200..<300).contains(status) else {
            let message = (try? JSONSerialization.jsonObject(with: answer) as? [String: Any])?["error"] as? String
            printError("error: \(message ?? "HTTP \(status)")")
            throw ExitCode(1)
        }
        return answer
    }

    /// Decodes a 2xx answer.
    static func call<T: Decodable>(
        _ type: T.Type, _ global: GlobalOptions, _ method: String, _ path: String, query: [String: [String]] = [:],
        body: [String: Any]? = nil
    ) async throws -> T {
        let data = try await call(global, method, path, query: query, body: body)
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            printError("error: unexpected answer from the API: \(EventJSON.describe(error))")
            throw ExitCode(1)
        }
    }

    /// The control client of this profile's data folder.
    static func control(_ profile: Profile) -> ControlClient {
        ControlClient(socketPath: ControlServer.socketPath(in: profile.config.dataDirectory))
    }

    private static func send(
        _ global: GlobalOptions, _ method: String, _ path: String, query: [String: [String]], body: Data?
    ) async throws -> (Int, Data) {
        let profile = try global.profile()
        let control = control(profile)
        if control.isReachable { return try await control.call(method, path, query: query, body: body) }
        let lock = try takeLock(profile, control: control, verb: "\(method) \(path)")
        guard let lock else { return try await control.call(method, path, query: query, body: body) }
        defer { lock.release() }
        if profile.simulated {
            let why = global.sim
                ? "--sim names the built-in simulator's data"
                : "psn.clientSecret is not set (PARTYBUS_PSN__CLIENT_SECRET), so this is the built-in simulator's data"
            printError(
                "error: no daemon is running for \(profile.config.dataDirectory.path): \(why), and the simulator runs "
                    + "only inside `partybus up` — start it in another terminal")
            throw ExitCode(1)
        }
        return try await inProcess(profile, ControlRequest(method: method, path: path, query: query, body: body ?? Data()))
    }

    /// Takes the folder's lock for an in-process answer; nil when a daemon came up meanwhile (use its socket).
    private static func takeLock(_ profile: Profile, control: ControlClient, verb: String) throws -> DataFolderLock? {
        let folder = profile.config.dataDirectory
        let deadline = Date().addingTimeInterval(5)
        while true {
            do {
                return try DataFolderLock(folder: folder, purpose: "partybus \(verb) (in-process, no daemon)")
            } catch let error as DataFolderLockError {
                guard case .held = error.kind else { throw ExitCodeError.print("error: \(error)") }
                // A daemon starting up (its socket comes next), or another command in-process: wait a little.
                if control.isReachable { return nil }
                if Date() > deadline { throw ExitCodeError.print("error: \(error)") }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    /// Answers a request with the API running in this process: the log opened for writing under the lock, the
    /// PSN client, the projections folded — no push socket, no voice, no plugins.
    static func inProcess(_ profile: Profile, _ request: ControlRequest) async throws -> (Int, Data) {
        let log = try EventLog(path: profile.config.eventLogPath)
        defer { log.close() }
        let client = try PSNClient(
            settings: profile.psn, dataDirectory: profile.config.dataDirectory, log: log, source: .live, logger: Logging.engine)
        let parties = LiveProjection<PartyProjection>(log: log)
        let context = DaemonContext(
            config: profile.config, log: log, client: client, voice: nil, simulated: false, inProcess: true, parties: parties)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await parties.run() }
            group.addTask { try await context.runInProcessProjections() }
            let answer = await ControlAPI.handle(request, context: context)
            try? await log.flush()
            group.cancelAll()
            return (answer.status, answer.body)
        }
    }
}

/// Prints a message and exits 1 (for errors found before any output).
enum ExitCodeError {
    static func print(_ message: String) -> ExitCode {
        printError(message)
        return ExitCode(1)
    }
}
