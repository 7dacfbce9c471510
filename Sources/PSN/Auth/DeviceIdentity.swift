import Foundation
import PartyBusCore

/// The per-install device id (F.5): random hex, generated once, kept in `<data-dir>/duid`, never rotated.
public enum DeviceIdentity {
    /// The configured duid, else the stored one, else a new one (stored).
    public static func duid(configured: String, dataDirectory: URL) throws -> String {
        if !configured.isEmpty { return configured }
        let file = dataDirectory.appendingPathComponent("duid")
        if let stored = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            stored.count >= 64, stored.allSatisfy(\.isHexDigit)
        {
            return stored
        }
        var generator = SystemRandomNumberGenerator()
        let made = (0..<64).map { _ in String(generator.next(upperBound: UInt8(16)), radix: 16) }.joined()
        try PrivateFiles.prepareFolder(dataDirectory.path)
        try DurableFile.write(Data(made.utf8), to: file.path)
        return made
    }
}
