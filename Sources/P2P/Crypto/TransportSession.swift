import Crypto

/// One direction-pair of transport keys after a handshake: seals with counter nonces, opens through a replay window.
///
/// Data packet: type (1) · receiver index (4) · counter (8, big-endian) · ChaCha20-Poly1305 ciphertext + tag (16).
/// The 13-byte header is authenticated as associated data. Not thread-safe: its owner (the node's actor) serialises it.
public struct TransportSession: Sendable {
    /// Bytes a data packet adds to its plaintext.
    public static let overhead = 13 + 16

    /// Our index (packets to us carry it).
    public let localIndex: UInt32
    /// The peer's index.
    public let remoteIndex: UInt32
    /// When the session was made (monotonic).
    public let established: ContinuousClock.Instant
    private let sendKey: SymmetricKey
    private let receiveKey: SymmetricKey
    /// The next counter we send.
    public private(set) var sendCounter: UInt64 = 0
    private var window = ReplayWindow()

    /// Why a data packet was dropped (each counted).
    public enum Rejection: String, Error, Sendable, CaseIterable {
        /// Too short or the wrong type.
        case malformed
        /// Counter seen before.
        case replayed
        /// Counter older than the replay window.
        case tooOld = "too_old"
        /// The tag did not verify: tampered or forged.
        case tampered
    }

    /// Makes a session from a handshake's result.
    public init(_ result: HandshakeResult, now: ContinuousClock.Instant = .now) {
        localIndex = result.localIndex
        remoteIndex = result.remoteIndex
        sendKey = SymmetricKey(data: result.sendKey)
        receiveKey = SymmetricKey(data: result.receiveKey)
        established = now
    }

    /// Seals a plaintext into a data packet.
    public mutating func seal(_ plaintext: [UInt8]) throws -> [UInt8] {
        let counter = sendCounter
        sendCounter += 1
        var header: [UInt8] = [PacketType.data.rawValue] + bytes(remoteIndex)
        for shift in stride(from: 56, through: 0, by: -8) { header.append(UInt8((counter >> UInt64(shift)) & 0xFF)) }
        let sealed = try ChaChaPoly.seal(plaintext, using: sendKey, nonce: Nonces.make(counter), authenticating: header)
        return header + Array(sealed.ciphertext) + Array(sealed.tag)
    }

    /// The receiver index of a data packet, for finding its session.
    public static func receiverIndex(of packet: [UInt8]) -> UInt32? {
        guard packet.count >= overhead, packet[0] == PacketType.data.rawValue else { return nil }
        return read32(packet, 1)
    }

    /// Opens a data packet: checks the window, verifies, then records the counter.
    public mutating func open(_ packet: [UInt8]) throws(Rejection) -> [UInt8] {
        guard packet.count >= TransportSession.overhead, packet[0] == PacketType.data.rawValue,
            read32(packet, 1) == localIndex
        else { throw .malformed }
        var counter: UInt64 = 0
        for i in 5..<13 { counter = counter << 8 | UInt64(packet[i]) }
        switch window.check(counter) {
        case .replayed: throw .replayed
        case .tooOld: throw .tooOld
        case nil: break
        }
        guard let box = try? ChaChaPoly.SealedBox(nonce: Nonces.make(counter), ciphertext: packet[13..<(packet.count - 16)],
                                                  tag: packet[(packet.count - 16)...]),
            let plain = try? ChaChaPoly.open(box, using: receiveKey, authenticating: packet[0..<13])
        else { throw .tampered }
        window.accept(counter)
        return Array(plain)
    }

    /// True when this session should be replaced: after `messages` sent or `age` elapsed.
    public func needsRekey(messages: UInt64, age: Duration, now: ContinuousClock.Instant = .now) -> Bool {
        sendCounter >= messages || now - established >= age
    }
}
