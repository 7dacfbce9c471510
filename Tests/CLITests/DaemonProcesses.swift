import Foundation
import PartyBusTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `partybus` process that keeps running (`up`, `sim`, `events tail -f`), its output collected as it comes.
final class RunningPartybus: Sendable {
    let process: Process
    let stdout: Collector
    let stderr: Collector

    /// Starts `partybus arguments…` from the package root with only the given `PARTYBUS_*` variables.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = PartybusProcess.executable
        process.arguments = arguments
        process.currentDirectoryURL = PartybusProcess.packageRoot
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

    var pid: Int32 { process.processIdentifier }

    /// SIGTERM, then waits (at most `timeout`) for it to end; returns its exit status (nil: it did not stop).
    @discardableResult
    func stop(timeout: Duration = .seconds(20)) async -> Int32? {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        guard await eventually(timeout: timeout, { !process.isRunning }) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
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

/// `partybus sim` in its own process: an independent PSN server as far as `up` is concerned.
struct SimulatorProcess {
    let running: RunningPartybus
    let baseURL: String

    /// Starts it; `trace` logs every request (method, path, status) to its standard error.
    static func start(media: String? = nil, trace: Bool = false, config: String = "/dev/null") async throws -> SimulatorProcess {
        var arguments = ["sim", "--port", "0", "--config", config]
        if let media { arguments += ["--media", media] }
        if trace { arguments += ["--log-level", "trace"] }
        let running = try RunningPartybus(arguments)
        #expect(await eventually { running.stdout.text.contains("listening on http://127.0.0.1:") })
        let line = running.stdout.text.split(separator: "\n").first { $0.contains("listening on") } ?? ""
        return SimulatorProcess(running: running, baseURL: String(line.split(separator: " ").last ?? ""))
    }

    /// A `psn:` block pointing PartyBus at this simulator, plus `extra` YAML.
    func config(in dir: TemporaryDirectory, extra: String = "") throws -> String {
        let path = dir.path("partybus.yaml")
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
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `POST /sim/admin/act`: a simulated account acts (join, leave, create, invite …).
    @discardableResult
    func act(_ actor: String, _ action: String, _ args: [String: Any] = [:]) async throws -> Data {
        try await post("/sim/admin/act", ["actor": actor, "action": action, "args": args])
    }

    /// Waits until the simulator has accepted `accountId`'s push socket (the 1003 auth frame gets no reply, E.3), so
    /// frames it sends from now on reach that client.
    func waitForPush(_ accountId: String = "1000000000000000001") async -> Bool {
        await eventually(timeout: .seconds(20)) {
            guard let url = URL(string: baseURL + "/sim/admin/push/sockets?accountId=\(accountId)"),
                let data = try? Data(contentsOf: url),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return false }
            return ((object["authenticated"] as? NSNumber)?.intValue ?? 0) > 0
        }
    }

    /// A JSON POST to the simulator.
    func post(_ path: String, _ body: [String: Any]) async throws -> Data {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        #expect((200..<300).contains(status), "\(path): HTTP \(status) \(String(decoding: data, as: UTF8.self))")
        return data
    }

    /// The requests it logged (with `trace`), as "METHOD path" in order.
    var requests: [String] {
        running.stderr.text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasSuffix(" request") || line.contains("] request"),
                let method = Self.value(of: "method", in: line), let path = Self.value(of: "path", in: line)
            else { return nil }
            return "\(method) \(path)"
        }
    }

    private static func value(of key: String, in line: Substring) -> String? {
        guard let range = line.range(of: "\(key)=") else { return nil }
        return String(line[range.upperBound...].prefix { $0 != " " })
    }
}

/// `partybus login` with the simulator's npsso for our account.
func loginToSimulator(config: String, data: String) throws {
    let npsso = "sim-npsso-you-" + String(repeating: "0", count: 50)
    let login = try PartybusProcess.run(
        ["login", "--config", config, "--data-dir", data], environment: ["PARTYBUS_PSN__CLIENT_SECRET": "sim-client-secret"],
        input: npsso + "\n")
    #expect(login.status == 0, "login: \(login.stderr)")
}
