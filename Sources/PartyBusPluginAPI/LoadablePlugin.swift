/// A plugin the engine can create from configuration: built in (named in `config/partybus.yaml`) or loaded from
/// a shared object with `DynamicPluginExport`.
public protocol LoadablePlugin: Plugin {
    /// The plugin's name: `[a-z0-9-]+`, unique in the engine.
    static var name: String { get }
    /// The plugin's own version.
    static var version: String { get }
    /// Event type globs it wants when the configuration names none.
    static var defaultEvents: [String] { get }
    /// Creates the plugin; throw a `PluginError` naming the option when the options are wrong.
    init(context: any PluginContext, options: PluginOptions) async throws
}

extension LoadablePlugin {
    /// "0.1.0" unless the plugin says otherwise.
    public static var version: String { "0.1.0" }
}

/// A raw pointer carried across a concurrency boundary. Only for C tokens and handles whose ownership the ABI
/// defines (called exactly once, valid until then).
public struct UnsafeSendablePointer: @unchecked Sendable {
    /// The pointer.
    public let raw: UnsafeMutableRawPointer?
    /// Wraps a pointer.
    public init(_ raw: UnsafeMutableRawPointer?) { self.raw = raw }
}

extension String {
    /// A string from a C buffer of `length` UTF-8 bytes (not necessarily NUL-terminated); "" for NULL.
    public init(cBuffer: UnsafePointer<CChar>?, length: Int) {
        guard let cBuffer, length > 0 else {
            self = ""
            return
        }
        self = String(decoding: UnsafeRawBufferPointer(start: cBuffer, count: length), as: UTF8.self)
    }
}
