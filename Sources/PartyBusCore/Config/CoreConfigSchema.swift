/// The schema of the sections the core owns (`engine`, `plugins`); other modules add theirs.
public enum CoreConfigSchema {
    /// `engine:`.
    public static let engine = ConfigSchema.object([
        ("data_dir", .string(default: "")),
        ("log_level", .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"], default: "info")),
        ("handler_timeout_ms", .int(default: 5000, range: 1...3_600_000)),
        ("start_timeout_ms", .int(default: 10_000, range: 1...3_600_000)),
        ("queue_capacity", .int(default: 1024, range: 1...1_000_000)),
        ("synchronous", .choice(["full", "normal"], default: "full")),
    ])

    /// One entry of `plugins:`.
    public static let plugin = ConfigSchema.object([
        ("enabled", .bool(default: true)),
        ("builtin", .string(default: nil)),
        ("library", .string(default: nil)),
        ("exec", .stringList(default: nil, check: { $0.isEmpty ? "must not be empty" : nil })),
        ("events", .stringList(default: nil, check: { Glob.isValid($0) ? nil : "'\($0)' is not a valid type glob" })),
        ("start", .choice(["latest", "beginning"], default: "latest")),
        ("options", .any),
    ])

    /// The whole document, with `extraSections` (name → schema) from other modules.
    public static func root(extraSections: [(String, ConfigSchema)] = []) -> ConfigSchema {
        .object([("engine", engine), ("plugins", .dictionary(plugin))] + extraSections)
    }
}
