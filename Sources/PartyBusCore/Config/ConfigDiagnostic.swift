/// One problem found in a configuration or graph file, with where it is.
public struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible, Error {
    /// The file (or `env NAME` for an environment override).
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column, when known.
    public var column: Int?
    /// What is wrong.
    public var message: String
    /// The dotted key path it concerns, when it concerns one (not printed).
    public var keyPath: String?

    /// Makes a diagnostic.
    public init(file: String, line: Int?, column: Int?, message: String, keyPath: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.keyPath = keyPath
    }

    /// `file:line:col: message`.
    public var description: String {
        switch (line, column) {
        case (let line?, let column?): "\(file):\(line):\(column): \(message)"
        case (let line?, nil): "\(file):\(line): \(message)"
        default: "\(file): \(message)"
        }
    }
}

/// Several diagnostics thrown together; its description lists them one per line.
public struct ConfigErrors: Error, CustomStringConvertible, Sendable {
    /// The problems, in file order.
    public var diagnostics: [ConfigDiagnostic]
    /// Wraps diagnostics.
    public init(_ diagnostics: [ConfigDiagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
