public import PartyBusCore
import Foundation

/// The `${…}` variables of the audio graphs: the `voice:` section flattened to dotted keys
/// (`voice: {audio: {input: x}}` → `audio.input`), for the daemon and `partybus pipelines` alike.
public enum GraphVariables {
    /// Flattens a section; scalars become text, anything else is skipped.
    public static func flatten(_ section: JSONValue) -> [String: String] {
        var out: [String: String] = [:]
        func walk(_ value: JSONValue, _ path: String) {
            switch value {
            case .object(let members): for (key, member) in members { walk(member, path.isEmpty ? key : "\(path).\(key)") }
            case .string(let text): out[path] = text
            case .int(let number): out[path] = String(number)
            case .double(let number): out[path] = String(number)
            case .bool(let flag): out[path] = String(flag)
            default: break
            }
        }
        walk(section, "")
        return out
    }

    /// The variables voice sets itself when it starts a graph (they win over the config): `voice.session` (the
    /// party's id) and `voice.started` (UTC, `20261202-013000`), for file names that never overwrite an earlier call.
    public static func builtIn(sessionId: String, at date: Date = Date()) -> [String: String] {
        ["voice.session": sessionId, "voice.started": timestamp(date)]
    }

    /// A UTC time as `yyyyMMdd-HHmmss`.
    public static func timestamp(_ date: Date = Date()) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(secondsFromGMT: 0) ?? .current, from: date)
        return String(format: "%04d%02d%02d-%02d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }
}
