import Foundation
import PartyBusTestSupport
import Testing

/// The web UI in a real browser: runs Tests/WebUI/test_webui.py (pytest + Playwright driving Debian's headless
/// Chromium) against the `partybus` built with this test bundle, and fails with pytest's output when it fails.
/// scripts/install-test-tools.sh makes `.venv-test` with pytest and Playwright; scripts/install-deps.sh installs
/// `chromium`. Screenshots land in .build/test-artifacts/webui/.
@Suite("Web UI in a real browser", .serialized, .timeLimit(.minutes(10)))
struct WebUITests {
    static let python = PartybusProcess.packageRoot.appendingPathComponent(".venv-test/bin/python")

    @Test("party, speaking members, mute, live events, event filters, graph problems in place, token handling")
    func browser() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python.path) else {
            Issue.record("no \(Self.python.path): run scripts/install-test-tools.sh (pytest + Playwright) first")
            return
        }
        let process = Process()
        process.executableURL = Self.python
        process.arguments = ["-m", "pytest", "Tests/WebUI", "-q", "-rA", "-p", "no:cacheprovider", "--color=no"]
        process.currentDirectoryURL = PartybusProcess.packageRoot
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PARTYBUS_") }
        environment["PARTYBUS_EXECUTABLE"] = PartybusProcess.executable.path
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let collected = Collector(output.fileHandleForReading)
        let finished = await eventually(timeout: .seconds(540)) { !process.isRunning }
        if !finished {
            process.terminate()
            Issue.record("pytest did not finish in 9 minutes:\n\(collected.text)")
        }
        process.waitUntilExit()
        let text = collected.finish()
        #expect(process.terminationStatus == 0, "Tests/WebUI/test_webui.py failed:\n\(text)")
    }
}
