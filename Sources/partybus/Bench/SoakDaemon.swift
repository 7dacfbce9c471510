import ArgumentParser
import Foundation
import PSN
import PSNSimulator
import PartyBusDaemon
import Voice

/// `partybus up` in a child process for the soak bench: signed in to the child simulator, voice on (a live tone as
/// the mic, the shipped party graph's receive chain) and the `auto-record` plugin recording every party of two or
/// more. Its output goes to files in the scratch folder; the bench talks to it over its control socket.
final class SoakDaemon: Sendable {
    /// The daemon's process id (for `/proc/<pid>`).
    let pid: Int32
    private let process: Process
    private let control: ControlClient

    /// Writes the configuration, signs in (`partybus login`) and starts `partybus up`; returns once its control API
    /// answers (throws with its standard error if it exits or does not answer within 60 s).
    init(simulatorURL baseURL: String, npsso: String, folder: URL) async throws {
        let graph = folder.appendingPathComponent("soak-party.yaml")
        try VoicePartyBench.graph.write(to: graph, atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("partybus.yaml")
        try """
            psn:
              allowInsecureLoopback: true
              throttleMs: 0
              urls:
                auth: \(baseURL)/api/authz/v3/oauth/
                api: \(baseURL)/api
                accountsMe: \(baseURL)/api/v1/devices/accounts/me
                pushServerAddr: \(baseURL)/np/serveraddr
                partyInfo: \(baseURL)/api/cpss/v1/partyInfo/
            voice:
              enabled: true
              autoStart: true
              bridge: false
              graph: \(graph.path)
              localAddresses: ["127.0.0.1"]
            plugins:
              recorder:
                builtin: auto-record
                options: { trigger: { minMembers: 2 }, mix: false }
            """.write(to: config, atomically: true, encoding: .utf8)
        let data = folder.appendingPathComponent("data").path
        let common = ["--config", config.path, "--data-dir", data, "--log-level", "error"]
        let login = try Self.launch(["login"] + common, folder: folder, name: "login", input: npsso + "\n")
        login.waitUntilExit()
        guard login.terminationStatus == 0 else {
            throw VoiceError("partybus login failed: \(Self.tail(folder.appendingPathComponent("login.err")))")
        }
        let up = try Self.launch(["up", "--quiet"] + common, folder: folder, name: "up", input: nil)
        process = up
        pid = up.processIdentifier
        control = ControlClient(socketPath: URL(fileURLWithPath: data).appendingPathComponent("control.sock").path)
        let deadline = ContinuousClock.now + .seconds(60)
        while (try? await control.call("GET", "/v1/status"))?.0 != 200 {
            guard up.isRunning, ContinuousClock.now < deadline else {
                stop()
                throw VoiceError("partybus up did not come up: \(Self.tail(folder.appendingPathComponent("up.err")))")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Creates a party with us in it (voice then starts on its own); returns its session id.
    func createParty(name: String) async throws -> String {
        let (status, body) = try await control.call("POST", "/v1/parties", body: try JSONEncoder().encode(["name": name]))
        guard status == 201, let object = try JSONSerialization.jsonObject(with: body) as? [String: Any],
            let sessionId = object["sessionId"] as? String
        else { throw VoiceError("creating the soak party failed (\(status)): \(String(decoding: body, as: UTF8.self))") }
        return sessionId
    }

    /// The daemon's `/metrics` value of `name` (a gauge or counter without labels); nil when absent.
    func metric(_ name: String) async throws -> Double? {
        let (status, body) = try await control.call("GET", "/metrics")
        guard status == 200 else { throw VoiceError("GET /metrics answered \(status)") }
        let line = String(decoding: body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// True while the daemon runs.
    var isRunning: Bool { process.isRunning }

    /// SIGTERM (it finishes its recordings) and waits for it.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    private static func launch(_ arguments: [String], folder: URL, name: String, input: String?) throws -> Process {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        child.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PARTYBUS_") }
        environment["PARTYBUS_PSN__CLIENT_SECRET"] = "sim-client-secret"
        child.environment = environment
        let out = folder.appendingPathComponent("\(name).out"), err = folder.appendingPathComponent("\(name).err")
        guard FileManager.default.createFile(atPath: out.path, contents: nil),
            FileManager.default.createFile(atPath: err.path, contents: nil)
        else { throw ValidationError("cannot create \(out.path) or \(err.path)") }
        child.standardOutput = try FileHandle(forWritingTo: out)
        child.standardError = try FileHandle(forWritingTo: err)
        if let input {
            let pipe = Pipe()
            child.standardInput = pipe
            try child.run()
            pipe.fileHandleForWriting.write(Data(input.utf8))
            try pipe.fileHandleForWriting.close()
        } else {
            child.standardInput = FileHandle.nullDevice
            try child.run()
        }
        return child
    }

    /// The last lines of a log file, for an error message.
    static func tail(_ file: URL) -> String {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(8).joined(separator: "\n")
    }
}
