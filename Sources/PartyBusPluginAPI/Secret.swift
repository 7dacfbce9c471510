/// A credential (token, npsso, client secret, password) that must never be written anywhere by accident.
///
/// `Secret` encodes as `"<redacted>"`, prints as `<redacted>`, and mirrors as `<redacted>`; the only way to the
/// value is `reveal()`, which code calls where the credential is really used (an HTTP header, the 0600 token
/// file). Decoding accepts a plain string, so configuration and token files can hold real values.
public struct Secret: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The text a secret is replaced with wherever it is written.
    public static let redactedMarker = "<redacted>"

    private let value: String

    /// Wraps a credential.
    public init(_ value: String) { self.value = value }

    /// The credential itself. Call only where it is really used.
    public func reveal() -> String { value }

    /// True when this secret came from a redacted document and holds no credential.
    public var isRedacted: Bool { value == Secret.redactedMarker }

    /// True when the credential is empty.
    public var isEmpty: Bool { value.isEmpty }

    public init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Secret.redactedMarker)
    }

    public var description: String { Secret.redactedMarker }
    public var debugDescription: String { "Secret(\(Secret.redactedMarker))" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
