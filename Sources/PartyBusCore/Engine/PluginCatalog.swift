public import PartyBusPluginAPI

/// Turns the `plugins:` section into registrations: built-ins by name, shared objects through dlopen, exec hooks
/// through the built-in named `exec-hook`.
public struct PluginCatalog: Sendable {
    /// Built-in plugin types by name (the executable lists them; the core knows none).
    public var builtins: [String: any LoadablePlugin.Type]

    /// A catalog of built-ins.
    public init(builtins: [any LoadablePlugin.Type]) {
        var byName: [String: any LoadablePlugin.Type] = [:]
        for type in builtins { byName[type.name] = type }
        self.builtins = byName
    }

    /// A plugin entry that could not be turned into a registration, and why.
    public struct LoadFailure: Sendable, Equatable {
        /// The entry's name.
        public var plugin: String
        /// What is wrong.
        public var message: String
    }

    /// Registrations for the enabled entries (all of them, or those in `only`), and the entries that failed.
    public func registrations(
        for plugins: [PartyBusConfig.PluginSettings], only: Set<String>? = nil
    ) -> (registrations: [PluginRegistration], failures: [LoadFailure]) {
        var registrations: [PluginRegistration] = []
        var failures: [LoadFailure] = []
        for entry in plugins where entry.enabled && (only?.contains(entry.name) ?? true) {
            let start = entry.start == "beginning"
            if let library = entry.library {
                do {
                    let loaded = try DynamicPluginLibrary.load(path: library)
                    var registration = loaded.registration(name: entry.name, events: entry.events, options: entry.options)
                    registration.startAtBeginning = start
                    registrations.append(registration)
                } catch {
                    failures.append(LoadFailure(plugin: entry.name, message: "\(error)"))
                }
            } else if let command = entry.exec {
                guard let hook = builtins["exec-hook"] else {
                    failures.append(LoadFailure(plugin: entry.name, message: "exec hooks are not built into this engine"))
                    continue
                }
                var options = entry.options
                if case .object(var members) = options {
                    members["command"] = .array(command.map { .string($0) })
                    options = .object(members)
                }
                registrations.append(
                    .loadable(
                        hook, name: entry.name, kind: .exec, events: entry.events, options: PluginOptions(options),
                        startAtBeginning: start))
            } else if let name = entry.builtin {
                guard let type = builtins[name] else {
                    let known = builtins.keys.sorted().joined(separator: ", ")
                    failures.append(
                        LoadFailure(plugin: entry.name, message: "no built-in plugin '\(name)' (built in: \(known))"))
                    continue
                }
                registrations.append(
                    .loadable(
                        type, name: entry.name, kind: .builtin, events: entry.events,
                        options: PluginOptions(entry.options), startAtBeginning: start))
            }
        }
        return (registrations, failures)
    }
}
