import Foundation
import Logging

/// One step of a remote-member script: `{"at_ms": 1500, "actor": "<accountId or onlineId>", "action": "join",
/// "args": {…}}`. A script file is a JSON array of steps; `at_ms` counts from the script's start.
public struct ScriptStep: Sendable, Equatable {
    /// Milliseconds after the script starts.
    public var atMs: Int
    /// Account id or online id of a configured account.
    public var actor: String
    /// Action name (see `RemoteActions.swift`).
    public var action: String
    /// Action arguments.
    public var args: JSONObject

    /// Creates a step.
    public init(atMs: Int, actor: String, action: String, args: JSONObject = JSONObject()) {
        self.atMs = atMs
        self.actor = actor
        self.action = action
        self.args = args
    }

    /// Parses a JSON array of steps.
    static func parseScript(_ value: JSONValue) throws(APIError) -> [ScriptStep] {
        guard let array = value.arrayValue ?? value["steps"]?.arrayValue else { throw .body("steps") }
        var steps: [ScriptStep] = []
        for item in array {
            guard let actor = item["actor"]?.stringValue else { throw .body("actor") }
            guard let action = item["action"]?.stringValue else { throw .body("action") }
            let at = item["at_ms"]?.intValue ?? 0
            guard at >= 0 else { throw .body("at_ms") }
            steps.append(ScriptStep(atMs: at, actor: actor, action: action, args: item["args"]?.objectValue ?? [:]))
        }
        return steps
    }
}

extension SimulatorCore {
    /// Loads a script file (JSON array of steps).
    static func loadScript(path: String) throws -> [ScriptStep] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try ScriptStep.parseScript(try JSONValue.parse(Array(data)))
    }

    /// Runs the steps in the background, each at its `at_ms`; failures are logged and do not stop the script.
    func runScript(_ steps: [ScriptStep]) {
        schedule { [self] in
            let start = ContinuousClock.now
            for step in steps.sorted(by: { $0.atMs < $1.atMs }) {
                do { try await Task.sleep(until: start.advanced(by: .milliseconds(step.atMs)), clock: .continuous) } catch {
                    return
                }
                do throws(APIError) {
                    _ = try self.withState { (s: inout CoreState) throws(APIError) -> JSONValue in
                        try s.perform(actorName: step.actor, action: step.action, args: step.args)
                    }
                    self.logger.debug("script step done", metadata: ["action": .string(step.action)])
                } catch {
                    self.logger.warning(
                        "script step failed",
                        metadata: ["action": .string(step.action), "status": .stringConvertible(error.status),
                                   "message": .string(error.message)])
                }
            }
        }
    }
}
