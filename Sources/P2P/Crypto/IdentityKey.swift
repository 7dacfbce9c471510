import Crypto
import Foundation

/// This engine's long-lived X25519 identity, stored in the data folder as a 0600 file of 32 raw bytes.
public struct IdentityKey: Sendable {
    /// The private key (never logged, never in an event).
    public let privateKey: Curve25519.KeyAgreement.PrivateKey
    /// The public key bytes, shared in tokens.
    public var publicKey: [UInt8] { Array(privateKey.publicKey.rawRepresentation) }

    /// A fresh random identity.
    public init() { privateKey = Curve25519.KeyAgreement.PrivateKey() }

    /// An identity from its 32 raw bytes.
    public init(rawRepresentation: [UInt8]) throws {
        do { privateKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: rawRepresentation) } catch {
            throw P2PError("identity key is not 32 bytes of X25519 key")
        }
    }

    /// Loads `<folder>/p2p-identity.key`, creating it (0600, folder 0700) on first use.
    public static func loadOrCreate(in folder: URL) throws -> IdentityKey {
        let file = folder.appendingPathComponent("p2p-identity.key")
        let manager = FileManager.default
        if manager.fileExists(atPath: file.path) {
            let attributes = try manager.attributesOfItem(atPath: file.path)
            if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
                throw P2PError("\(file.path) is readable by others (mode \(String(mode, radix: 8))); chmod 600 it")
            }
            let data = try Data(contentsOf: file)
            guard data.count == 32 else { throw P2PError("\(file.path) holds \(data.count) bytes, not a 32-byte key") }
            return try IdentityKey(rawRepresentation: Array(data))
        }
        try manager.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = IdentityKey()
        guard manager.createFile(atPath: file.path, contents: key.privateKey.rawRepresentation,
                                 attributes: [.posixPermissions: 0o600])
        else { throw P2PError("could not write \(file.path)") }
        return key
    }
}
