import Foundation
import PSNSimulator
import PSNTestSupport
import PartyBusTestSupport
import Synchronization

/// A party member on an independent WebRTC stack: `Tests/Interop/aiortc_member.py` (aiortc, configured like the
/// PlayStation app) run as a separate process that signs in, pushes and signals as its own account. Its progress
/// lines (`{"event": …}` JSON) are collected for the test.
final class AiortcMember: @unchecked Sendable {  // `process` is only started, read and signalled.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    static let script = root.appendingPathComponent("Tests/Interop/aiortc_member.py").path

    /// The Python with aiortc and websockets: `$PARTYBUS_INTEROP_PYTHON`, else the venv scripts/test.sh makes.
    static let python: String = ProcessInfo.processInfo.environment["PARTYBUS_INTEROP_PYTHON"]
        ?? root.appendingPathComponent(".venv-test/bin/python").path

    /// Whether that Python can import aiortc and websockets (scripts/test.sh installs them).
    static let available: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", "import aiortc, aioice, av, websockets"]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        do { try check.run() } catch { return false }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }()

    /// What the process printed (shared with the pipes' handlers).
    private final class Output: Sendable {
        let lines = Mutex<[String]>([])
        let errors = Mutex<String>("")
        let pending = Mutex<Data>(Data())
    }

    private let process: Process
    private let output = Output()

    /// Starts the member for `account` in party `session` (joining it first when `join`), sending `tone` and
    /// recording what it hears to `record`.
    init(base: String, account: SimulatedAccount, session: String, join: Bool, tone: Int, record: String, seconds: Double = 4) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [
            Self.script, "--base", base, "--npsso", account.npsso, "--account-id", account.accountId,
            "--platform", account.platform, "--session", session, "--tone", String(tone), "--record", record,
            "--seconds", String(seconds), "--offer-newcomers",
        ] + (join ? ["--join"] : [])
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let output = self.output
        out.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            output.pending.withLock { data in
                data.append(chunk)
                while let newline = data.firstIndex(of: 0x0A) {
                    let line = String(decoding: data[data.startIndex..<newline], as: UTF8.self)
                    data.removeSubrange(data.startIndex...newline)
                    output.lines.withLock { $0.append(line) }
                }
            }
            if chunk.isEmpty { handle.readabilityHandler = nil }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty { handle.readabilityHandler = nil; return }
            output.errors.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
        }
        try process.run()
    }

    deinit { stop() }

    /// The progress lines of one event (`offered`, `answered`, `track`, `state`, `datachannel`, `done` …), decoded.
    func events(_ name: String) -> [[String: Any]] {
        output.lines.withLock { $0 }.compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                object["event"] as? String == name
            else { return nil }
            return object
        }
    }

    /// Waits until the member has reported `name` (or has exited).
    func waitFor(_ name: String, timeout: Duration = .seconds(30)) async -> Bool {
        await eventually(timeout: timeout) { !events(name).isEmpty || !process.isRunning } && !events(name).isEmpty
    }

    /// Everything it printed, for failure messages (SDPs shortened).
    var transcript: String {
        let out = output.lines.withLock { $0 }.map { String($0.prefix(400)) }.joined(separator: "\n")
        return out + "\n--- stderr ---\n" + String(output.errors.withLock { $0 }.suffix(3000))
    }

    /// The WAV files it recorded under `prefix` (`<prefix>-1.wav`, `<prefix>-2.wav` …: one per remote track).
    func recordings(prefix: String) -> [String] {
        let folder = (prefix as NSString).deletingLastPathComponent, name = (prefix as NSString).lastPathComponent
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.filter { $0.hasPrefix(name + "-") && $0.hasSuffix(".wav") }.sorted().map { folder + "/" + $0 }
    }

    /// Ends the process (SIGTERM: it stops its recorders and peers first).
    func stop() {
        if process.isRunning { process.terminate() }
    }

    /// Waits for the process to exit, at most `timeout`.
    func waitForExit(timeout: Duration = .seconds(10)) async -> Bool {
        await eventually(timeout: timeout) { !process.isRunning }
    }
}
