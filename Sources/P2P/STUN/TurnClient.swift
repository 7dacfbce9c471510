import Synchronization

/// A TURN server and the long-term credential to use it (RFC 8656 over UDP).
public struct TurnServer: Sendable, Hashable {
    /// The server's address.
    public let address: UDPAddress
    /// The username.
    public let username: String
    /// The password (never logged).
    public let password: String

    /// Makes a server entry.
    public init(address: UDPAddress, username: String, password: String) {
        self.address = address
        self.username = username
        self.password = password
    }
}

/// A TURN allocation: the relayed address peers can send to, permissions, Send indications out, Data in.
///
/// Requests carry the long-term credential (401 → REALM/NONCE → MESSAGE-INTEGRITY; 438 → new nonce), responses
/// are checked against it. Refresh and permission upkeep is the owner's job (`refresh`, `permit`).
public final class TurnAllocation: Sendable {
    /// The server.
    public let server: TurnServer
    /// The relayed transport address (XOR-RELAYED-ADDRESS).
    public let relayedAddress: UDPAddress
    /// Our address as the server saw it.
    public let mappedAddress: UDPAddress?
    private let client: StunClient
    private let auth: Mutex<(realm: String, nonce: String, key: [UInt8])>
    private let permitted = Mutex<[[UInt8]: ContinuousClock.Instant]>([:])

    private init(server: TurnServer, relayed: UDPAddress, mapped: UDPAddress?, client: StunClient,
                 realm: String, nonce: String, key: [UInt8]) {
        self.server = server
        self.relayedAddress = relayed
        self.mappedAddress = mapped
        self.client = client
        self.auth = Mutex((realm: realm, nonce: nonce, key: key))
    }

    /// Allocates a UDP relay on the server.
    public static func allocate(server: TurnServer, client: StunClient, lifetime: UInt32 = 600) async throws -> TurnAllocation {
        let transport = StunAttribute(type: StunAttributeType.requestedTransport, value: [17, 0, 0, 0])
        let first = try await client.request(StunMessage(method: .allocate, messageClass: .request, attributes: [transport]),
                                             to: server.address)
        guard first.messageClass == .error, let error = try first.errorCode(), error.code == 401,
            let realm = first.text(StunAttributeType.realm), let nonce = first.text(StunAttributeType.nonce)
        else {
            throw P2PError("TURN server \(server.address) did not ask for credentials (expected 401 with REALM and NONCE)")
        }
        let key = StunCodec.longTermKey(username: server.username, realm: realm, password: server.password)
        let request = StunMessage(method: .allocate, messageClass: .request, attributes: [
            transport, StunAttribute(type: StunAttributeType.lifetime, value: StunCodec.bigEndian(lifetime)),
        ] + credentials(server.username, realm, nonce))
        let answer = try await client.request(request, to: server.address, integrityKey: key)
        try check(answer, key: key, what: "Allocate on \(server.address)")
        guard let relayed = try answer.xorAddress(StunAttributeType.xorRelayedAddress, name: "XOR-RELAYED-ADDRESS") else {
            throw P2PError("TURN server \(server.address) allocated without XOR-RELAYED-ADDRESS")
        }
        return TurnAllocation(server: server, relayed: relayed, mapped: try answer.mappedAddress(), client: client,
                              realm: realm, nonce: nonce, key: key)
    }

    private static func credentials(_ username: String, _ realm: String, _ nonce: String) -> [StunAttribute] {
        [StunAttribute(type: StunAttributeType.username, value: Array(username.utf8)),
         StunAttribute(type: StunAttributeType.realm, value: Array(realm.utf8)),
         StunAttribute(type: StunAttributeType.nonce, value: Array(nonce.utf8))]
    }

    private static func check(_ answer: StunMessage, key: [UInt8], what: String) throws {
        if answer.messageClass == .error {
            let error = try? answer.errorCode()
            throw P2PError("TURN \(what) failed: \(error?.code ?? 0) \(error?.reason ?? "")")
        }
        guard answer.attribute(StunAttributeType.messageIntegrity) != nil else {
            throw P2PError("TURN \(what): the answer has no MESSAGE-INTEGRITY")
        }
    }

    /// Sends an authenticated request, retrying once with a fresh nonce on 438 (stale nonce).
    private func authenticated(_ method: StunMethod, _ attributes: [StunAttribute], what: String) async throws {
        for _ in 0..<2 {
            let (realm, nonce, key) = auth.withLock { ($0.realm, $0.nonce, $0.key) }
            let request = StunMessage(method: method, messageClass: .request,
                                      attributes: attributes + TurnAllocation.credentials(server.username, realm, nonce))
            let answer = try await client.request(request, to: server.address, integrityKey: key)
            if answer.messageClass == .error, let error = try? answer.errorCode(), error.code == 438,
                let fresh = answer.text(StunAttributeType.nonce)
            {
                auth.withLock { $0.nonce = fresh }
                continue
            }
            try TurnAllocation.check(answer, key: key, what: what)
            return
        }
        throw P2PError("TURN \(what): the server kept answering 438 (stale nonce)")
    }

    /// Installs (or refreshes) permissions for peers' IPs; skips IPs permitted less than 4 minutes ago.
    public func permit(_ peers: [UDPAddress], force: Bool = false) async throws {
        let now = ContinuousClock.now
        let due = permitted.withLock { table in
            var seen = Set<[UInt8]>()
            return peers.filter { peer in
                guard peer.isIPv4 == relayedAddress.isIPv4, seen.insert(peer.ip).inserted else { return false }
                if !force, let last = table[peer.ip], now - last < .seconds(240) { return false }
                return true
            }
        }
        guard !due.isEmpty else { return }
        for peer in due {
            let tx = (0..<12).map { _ in UInt8.random(in: 0...255) }
            let peerAttribute = StunAttribute(type: StunAttributeType.xorPeerAddress,
                                              value: StunAddressCodec.encodeXOR(peer, transactionID: tx))
            try await authenticatedWithID(tx, .createPermission, [peerAttribute], what: "CreatePermission for \(peer.ipText)")
            permitted.withLock { $0[peer.ip] = now }
        }
    }

    /// Like `authenticated` but with a fixed transaction id (XOR attributes depend on it).
    private func authenticatedWithID(_ tx: [UInt8], _ method: StunMethod, _ attributes: [StunAttribute], what: String) async throws {
        var transactionID = tx
        var attrs = attributes
        for _ in 0..<2 {
            let (realm, nonce, key) = auth.withLock { ($0.realm, $0.nonce, $0.key) }
            let request = StunMessage(method: method, messageClass: .request, transactionID: transactionID,
                                      attributes: attrs + TurnAllocation.credentials(server.username, realm, nonce))
            let answer = try await client.request(request, to: server.address, integrityKey: key)
            if answer.messageClass == .error, let error = try? answer.errorCode(), error.code == 438,
                let fresh = answer.text(StunAttributeType.nonce)
            {
                auth.withLock { $0.nonce = fresh }
                // A new transaction needs a new id; re-encode XOR attributes for it.
                let newID = (0..<12).map { _ in UInt8.random(in: 0...255) }
                attrs = try attrs.map { attribute in
                    guard attribute.type == StunAttributeType.xorPeerAddress else { return attribute }
                    let peer = try StunAddressCodec.decodeXOR(attribute.value, transactionID: transactionID, what: "XOR-PEER-ADDRESS")
                    return StunAttribute(type: attribute.type, value: StunAddressCodec.encodeXOR(peer, transactionID: newID))
                }
                transactionID = newID
                continue
            }
            try TurnAllocation.check(answer, key: key, what: what)
            return
        }
        throw P2PError("TURN \(what): the server kept answering 438 (stale nonce)")
    }

    /// Refreshes the allocation (lifetime 0 releases it).
    public func refresh(lifetime: UInt32 = 600) async throws {
        try await authenticated(.refresh, [StunAttribute(type: StunAttributeType.lifetime, value: StunCodec.bigEndian(lifetime))],
                                what: "Refresh")
    }

    /// Releases the allocation with one Refresh (lifetime 0) and does not wait for the answer (used at shutdown,
    /// when nothing reads the socket any more; the server frees it at its lifetime otherwise).
    public func release() {
        let (realm, nonce, key) = auth.withLock { ($0.realm, $0.nonce, $0.key) }
        let request = StunMessage(method: .refresh, messageClass: .request, attributes: [
            StunAttribute(type: StunAttributeType.lifetime, value: StunCodec.bigEndian(0)),
        ] + TurnAllocation.credentials(server.username, realm, nonce))
        client.sender.send(StunCodec.encode(request, integrityKey: key), to: server.address)
    }

    /// A Send indication carrying `data` to `peer` through the relay.
    public func sendIndication(_ data: [UInt8], to peer: UDPAddress) -> [UInt8] {
        let tx = (0..<12).map { _ in UInt8.random(in: 0...255) }
        let message = StunMessage(method: .send, messageClass: .indication, transactionID: tx, attributes: [
            StunAttribute(type: StunAttributeType.xorPeerAddress, value: StunAddressCodec.encodeXOR(peer, transactionID: tx)),
            StunAttribute(type: StunAttributeType.data, value: data),
        ])
        return StunCodec.encode(message)
    }

    /// Sends data to a peer through the relay.
    public func send(_ data: [UInt8], to peer: UDPAddress) {
        client.sender.send(sendIndication(data, to: peer), to: server.address)
    }

    /// The peer and data of a Data indication, or nil when the message is not one.
    public static func dataIndication(_ message: StunMessage) throws -> (peer: UDPAddress, data: [UInt8])? {
        guard message.method == .data, message.messageClass == .indication else { return nil }
        guard let peer = try message.xorAddress(StunAttributeType.xorPeerAddress, name: "XOR-PEER-ADDRESS"),
            let data = message.attribute(StunAttributeType.data)?.value
        else { throw P2PError("TURN Data indication without XOR-PEER-ADDRESS or DATA") }
        return (peer, data)
    }
}
