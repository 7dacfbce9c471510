import Crypto

/// Noise's chaining key + handshake hash (SHA-256, HKDF, ChaCha20-Poly1305), the core of the handshake.
struct SymmetricState: Sendable {
    static let protocolName = "PartyBus-P2P-IKpsk-25519-ChaChaPoly-SHA256-v1"

    private(set) var chainingKey: [UInt8]
    private(set) var hash: [UInt8]

    init() {
        let h = Array(SHA256.hash(data: Array(SymmetricState.protocolName.utf8)))
        chainingKey = h
        hash = h
    }

    mutating func mixHash(_ data: [UInt8]) {
        hash = Array(SHA256.hash(data: hash + data))
    }

    /// HKDF (Noise's two- or three-output form) keyed by the chaining key.
    static func hkdf(_ chainingKey: [UInt8], _ input: [UInt8], outputs: Int) -> [[UInt8]] {
        let tempKey = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: chainingKey))))
        var results: [[UInt8]] = []
        var previous: [UInt8] = []
        for index in 1...outputs {
            previous = Array(HMAC<SHA256>.authenticationCode(for: previous + [UInt8(index)], using: tempKey))
            results.append(previous)
        }
        return results
    }

    /// Mixes key material into the chaining key; returns a cipher key.
    mutating func mixKey(_ input: [UInt8]) -> [UInt8] {
        let out = SymmetricState.hkdf(chainingKey, input, outputs: 2)
        chainingKey = out[0]
        return out[1]
    }

    /// Mixes a pre-shared key (Noise's psk modifier): into the chaining key and the hash.
    mutating func mixKeyAndHash(_ input: [UInt8]) -> [UInt8] {
        let out = SymmetricState.hkdf(chainingKey, input, outputs: 3)
        chainingKey = out[0]
        mixHash(out[1])
        return out[2]
    }

    /// Encrypts with nonce 0 and the hash as associated data, then mixes the ciphertext into the hash.
    mutating func encryptAndHash(_ plaintext: [UInt8], key: [UInt8]) throws -> [UInt8] {
        let sealed = try ChaChaPoly.seal(plaintext, using: SymmetricKey(data: key), nonce: Nonces.make(0), authenticating: hash)
        let ciphertext = Array(sealed.ciphertext) + Array(sealed.tag)
        mixHash(ciphertext)
        return ciphertext
    }

    /// Decrypts (nil when it does not authenticate), mixing the ciphertext into the hash.
    mutating func decryptAndHash(_ ciphertext: ArraySlice<UInt8>, key: [UInt8]) -> [UInt8]? {
        guard ciphertext.count >= 16,
            let box = try? ChaChaPoly.SealedBox(nonce: Nonces.make(0), ciphertext: ciphertext.dropLast(16), tag: ciphertext.suffix(16)),
            let plain = try? ChaChaPoly.open(box, using: SymmetricKey(data: key), authenticating: hash)
        else { return nil }
        mixHash(Array(ciphertext))
        return Array(plain)
    }

    /// The two transport keys (initiator→responder, responder→initiator) and a key to remember the friend by.
    func split() -> (initiatorToResponder: [UInt8], responderToInitiator: [UInt8], friendKey: [UInt8]) {
        let out = SymmetricState.hkdf(chainingKey, [], outputs: 3)
        return (out[0], out[1], out[2])
    }
}

/// Counter nonces: 4 zero bytes and the 64-bit counter, little-endian (as WireGuard).
enum Nonces {
    static func make(_ counter: UInt64) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { bytes[4 + i] = UInt8((counter >> (8 * UInt64(i))) & 0xFF) }
        // 12 bytes is always a valid ChaChaPoly nonce.
        return try! ChaChaPoly.Nonce(data: bytes)
    }
}

/// X25519 with raw keys.
enum DH {
    static func agree(_ privateKey: Curve25519.KeyAgreement.PrivateKey, _ publicKey: [UInt8]) throws -> [UInt8] {
        let peer = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicKey)
        let shared = try privateKey.sharedSecretFromKeyAgreement(with: peer)
        return shared.withUnsafeBytes { Array($0) }
    }
}
