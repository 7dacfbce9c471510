/// Peer ids: the lower-case base32 of a 32-byte X25519 public key (52 characters; public, not secret).
public enum PeerID {
    /// The id of a key.
    public static func of(_ publicKey: [UInt8]) -> String { Base32.encode(publicKey) }

    /// The key of an id; throws when it is not 52 base32 characters.
    public static func key(_ id: String) throws -> [UInt8] {
        let bytes = try Base32.decode(Substring(id))
        guard bytes.count == 32, id.count == 52 else { throw P2PError("peer id '\(id)' is not 52 base32 characters") }
        return bytes
    }
}
