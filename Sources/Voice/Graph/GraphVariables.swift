public import PartyBusCore

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
}
