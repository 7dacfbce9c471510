import Crypto

/// Packet types on the wire (first byte). STUN/TURN share the socket: their first byte is 0x00/0x01 with the
/// magic cookie, and TURN ChannelData starts 0x40–0x7F, so these values never collide with them after the cookie check.
public enum PacketType: UInt8, Sendable {
    /// Handshake initiation.
    case initiation = 0xA1
    /// Handshake response.
    case response = 0xA2
    /// Encrypted transport data.
    case data = 0xA4
    /// Our own NAT filtering test: a nonce sent from our relay to ourselves (not encrypted; says nothing).
    case filteringProbe = 0xA6
}

/// The keys and indexes a completed handshake yields.
public struct HandshakeResult: Sendable {
    /// The peer's static public key.
    public let peerPublicKey: [UInt8]
    /// Key for what we send.
    public let sendKey: [UInt8]
    /// Key for what we receive.
    public let receiveKey: [UInt8]
    /// Our session index (the peer puts it in packets to us).
    public let localIndex: UInt32
    /// The peer's session index (we put it in packets to it).
    public let remoteIndex: UInt32
    /// A secret both sides now share, to use as the pre-shared key of later handshakes (friends).
    public let friendKey: [UInt8]
    /// The payload the peer sent inside the handshake.
    public let peerPayload: [UInt8]
    /// True when we started it.
    public let weInitiated: Bool
}

/// Why a handshake message was refused (each is counted).
public enum HandshakeRejection: String, Error, Sendable, CaseIterable {
    /// Too short, wrong type or cut short.
    case malformed
    /// An AEAD tag failed: tampered, wrong key, wrong invite secret.
    case decryptFailed = "decrypt_failed"
    /// No pending invite with that id.
    case unknownInvite = "unknown_invite"
    /// The invite was already used.
    case inviteUsed = "invite_used"
    /// The invite expired.
    case inviteExpired = "invite_expired"
    /// Not a friend and no invite.
    case unknownPeer = "unknown_peer"
    /// An initiation whose timestamp is not newer than the last one from that peer (a replay).
    case replayed
}

/// The initiator's side of the Noise-IK-with-psk handshake (docs/p2p.md "Handshake").
public struct InitiatorHandshake: Sendable {
    /// Our index for the session.
    public let localIndex: UInt32
    /// The responder's static key.
    public let responderPublicKey: [UInt8]
    private let state: SymmetricState
    private let ephemeral: Curve25519.KeyAgreement.PrivateKey
    private let identity: Curve25519.KeyAgreement.PrivateKey
    private let psk: [UInt8]

    /// Builds an initiation message: `inviteID` 0 for a friend (then `psk` is the friend key), else the invite's id
    /// with `psk` the invite secret.
    public static func start(
        identity: IdentityKey, responderPublicKey: [UInt8], psk: [UInt8], inviteID: UInt32, payload: [UInt8],
        localIndex: UInt32 = UInt32.random(in: 1...UInt32.max)
    ) throws -> (InitiatorHandshake, [UInt8]) {
        var s = SymmetricState()
        let header: [UInt8] = [PacketType.initiation.rawValue] + bytes(localIndex) + bytes(inviteID)
        s.mixHash(responderPublicKey)
        s.mixHash(header)
        let e = Curve25519.KeyAgreement.PrivateKey()
        let ePub = Array(e.publicKey.rawRepresentation)
        s.mixHash(ePub)
        _ = s.mixKey(ePub)
        let k1 = s.mixKey(try DH.agree(e, responderPublicKey))
        let encryptedStatic = try s.encryptAndHash(identity.publicKey, key: k1)
        _ = s.mixKey(try DH.agree(identity.privateKey, responderPublicKey))
        let k2 = s.mixKeyAndHash(psk)
        let encryptedPayload = try s.encryptAndHash(payload, key: k2)
        let handshake = InitiatorHandshake(localIndex: localIndex, responderPublicKey: responderPublicKey,
            state: s, ephemeral: e, identity: identity.privateKey, psk: psk)
        return (handshake, header + ePub + encryptedStatic + encryptedPayload)
    }

    /// Reads the response; throws a rejection when it does not authenticate.
    public func finish(_ message: [UInt8]) throws(HandshakeRejection) -> HandshakeResult {
        guard message.count >= 9 + 32 + 16, message[0] == PacketType.response.rawValue else { throw .malformed }
        guard read32(message, 5) == localIndex else { throw .malformed }
        var s = state
        s.mixHash(Array(message[0..<9]))
        let ePub = Array(message[9..<41])
        s.mixHash(ePub)
        _ = s.mixKey(ePub)
        guard let ee = try? DH.agree(ephemeral, ePub), let se = try? DH.agree(identity, ePub) else { throw .malformed }
        _ = s.mixKey(ee)
        _ = s.mixKey(se)
        let k = s.mixKeyAndHash(psk)
        guard let payload = s.decryptAndHash(message[41...], key: k) else { throw .decryptFailed }
        let keys = s.split()
        return HandshakeResult(peerPublicKey: responderPublicKey, sendKey: keys.initiatorToResponder,
            receiveKey: keys.responderToInitiator, localIndex: localIndex, remoteIndex: read32(message, 1),
            friendKey: keys.friendKey, peerPayload: payload, weInitiated: true)
    }
}

/// The responder's side.
public enum ResponderHandshake {
    /// What the responder learnt from an initiation, before choosing to answer.
    public struct Initiation: Sendable {
        /// The initiator's static key.
        public let initiatorPublicKey: [UInt8]
        /// The invite id in clear (0 for a friend).
        public let inviteID: UInt32
        /// The initiator's index.
        public let remoteIndex: UInt32
        /// The payload.
        public let payload: [UInt8]
        fileprivate let state: SymmetricState
        fileprivate let initiatorEphemeral: [UInt8]
        fileprivate let psk: [UInt8]
    }

    /// The invite id in an initiation's clear header, or nil when it is not one.
    public static func inviteID(of message: [UInt8]) -> UInt32? {
        guard message.count >= 9, message[0] == PacketType.initiation.rawValue else { return nil }
        return read32(message, 5)
    }

    /// Reads an initiation: `psk` is asked with the invite id and the initiator's static key (decrypted first)
    /// and throws the rejection when neither an invite nor a friend fits.
    public static func read(
        _ message: [UInt8], identity: IdentityKey,
        psk: (_ inviteID: UInt32, _ initiatorPublicKey: [UInt8]) throws(HandshakeRejection) -> [UInt8]
    ) throws(HandshakeRejection) -> Initiation {
        guard message.count >= 9 + 32 + 48 + 16, message[0] == PacketType.initiation.rawValue else { throw .malformed }
        var s = SymmetricState()
        s.mixHash(identity.publicKey)
        s.mixHash(Array(message[0..<9]))
        let ePub = Array(message[9..<41])
        s.mixHash(ePub)
        _ = s.mixKey(ePub)
        guard let es = try? DH.agree(identity.privateKey, ePub) else { throw .malformed }
        let k1 = s.mixKey(es)
        guard let initiatorStatic = s.decryptAndHash(message[41..<89], key: k1) else { throw .decryptFailed }
        guard let ss = try? DH.agree(identity.privateKey, initiatorStatic) else { throw .malformed }
        _ = s.mixKey(ss)
        let inviteID = read32(message, 5)
        let key = try psk(inviteID, initiatorStatic)
        let k2 = s.mixKeyAndHash(key)
        guard let payload = s.decryptAndHash(message[89...], key: k2) else { throw .decryptFailed }
        return Initiation(initiatorPublicKey: initiatorStatic, inviteID: inviteID, remoteIndex: read32(message, 1),
            payload: payload, state: s, initiatorEphemeral: ePub, psk: key)
    }

    /// Answers an initiation.
    public static func respond(
        to initiation: Initiation, payload: [UInt8], localIndex: UInt32 = UInt32.random(in: 1...UInt32.max)
    ) throws -> (HandshakeResult, [UInt8]) {
        var s = initiation.state
        let header: [UInt8] = [PacketType.response.rawValue] + bytes(localIndex) + bytes(initiation.remoteIndex)
        s.mixHash(header)
        let e = Curve25519.KeyAgreement.PrivateKey()
        let ePub = Array(e.publicKey.rawRepresentation)
        s.mixHash(ePub)
        _ = s.mixKey(ePub)
        _ = s.mixKey(try DH.agree(e, initiation.initiatorEphemeral))
        _ = s.mixKey(try DH.agree(e, initiation.initiatorPublicKey))
        let k = s.mixKeyAndHash(initiation.psk)
        let encrypted = try s.encryptAndHash(payload, key: k)
        let keys = s.split()
        let result = HandshakeResult(peerPublicKey: initiation.initiatorPublicKey, sendKey: keys.responderToInitiator,
            receiveKey: keys.initiatorToResponder, localIndex: localIndex, remoteIndex: initiation.remoteIndex,
            friendKey: keys.friendKey, peerPayload: initiation.payload, weInitiated: false)
        return (result, header + ePub + encrypted)
    }
}

func bytes(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

func read32<C: RandomAccessCollection>(_ b: C, _ at: Int) -> UInt32 where C.Element == UInt8, C.Index == Int {
    let s = b.startIndex + at
    return UInt32(b[s]) << 24 | UInt32(b[s + 1]) << 16 | UInt32(b[s + 2]) << 8 | UInt32(b[s + 3])
}
