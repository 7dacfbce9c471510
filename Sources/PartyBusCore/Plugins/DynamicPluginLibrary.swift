import CPartyBusShims
import Foundation
import PartyBusPluginAPI
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A plugin library loaded from a shared object: its table, checked against the engine's plugin API version.
///
/// Libraries are never unloaded: unloading a Swift image whose metadata the runtime has registered is unsafe.
public struct DynamicPluginLibrary: Sendable {
    /// The file it was loaded from.
    public let path: String
    /// The plugin's name, as the library states it.
    public let name: String
    /// The plugin's version.
    public let version: String
    /// Type globs it wants by default.
    public let defaultEvents: [String]
    let table: UnsafeSendablePointer

    /// Loads `path` and checks its entry symbol and API version; every failure says what and where.
    public static func load(path: String) throws -> DynamicPluginLibrary {
        guard FileManager.default.fileExists(atPath: path) else {
            throw PluginError("\(path): no such plugin file")
        }
        try ELFCheck.validate(path: path)
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw PluginError("\(path): cannot load as a shared object: \(reason)")
        }
        guard let symbol = dlsym(handle, "partybus_plugin_entry") else {
            throw PluginError(
                "\(path): not a PartyBus plugin (no symbol 'partybus_plugin_entry'; see docs/plugins.md)")
        }
        let entry = unsafeBitCast(symbol, to: pb_plugin_entry_fn.self)
        guard let table = entry() else {
            throw PluginError("\(path): 'partybus_plugin_entry' returned no plugin table")
        }
        let version = table.pointee.api_version
        guard version == pb_plugin_api_version() else {
            throw PluginError(
                "\(path): built for plugin API version \(version), but this engine speaks version "
                    + "\(pb_plugin_api_version()); rebuild the plugin against this PartyBus")
        }
        guard table.pointee.struct_size >= UInt32(MemoryLayout<pb_plugin>.size),
            table.pointee.create != nil, table.pointee.handle != nil, table.pointee.stop != nil,
            let namePointer = table.pointee.name
        else {
            throw PluginError("\(path): plugin table is incomplete (missing name, create, handle or stop)")
        }
        let name = String(cString: namePointer)
        guard !name.isEmpty, name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 })
        else {
            throw PluginError("\(path): plugin name '\(name)' must be [a-z0-9-]+")
        }
        var events: [String] = []
        if let json = table.pointee.default_events_json {
            guard let parsed = try? JSONDecoder().decode([String].self, from: Data(String(cString: json).utf8))
            else {
                throw PluginError("\(path): default_events_json is not a JSON array of strings")
            }
            events = parsed
        }
        return DynamicPluginLibrary(
            path: path, name: name, version: table.pointee.version.map { String(cString: $0) } ?? "?",
            defaultEvents: events, table: UnsafeSendablePointer(UnsafeMutableRawPointer(mutating: table)))
    }

    /// A registration that creates this plugin with `options`.
    public func registration(
        name: String? = nil, events: [String]? = nil, options: JSONValue = .object([:])
    ) -> PluginRegistration {
        let library = self
        return PluginRegistration(name: name ?? self.name, kind: .dynamic, events: events ?? defaultEvents) {
            context in
            try await DynamicPluginInstance.create(library: library, context: context, options: options)
        }
    }

    var plugin: UnsafePointer<pb_plugin> { UnsafePointer(table.raw!.assumingMemoryBound(to: pb_plugin.self)) }
}
