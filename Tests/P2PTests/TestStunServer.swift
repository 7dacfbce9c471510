import P2P
import Synchronization

/// A small STUN server on loopback for tests: answers Binding requests with XOR-MAPPED-ADDRESS, can drop the first
/// requests (to exercise retransmissions) or lie about the port (to look like a symmetric NAT).
final class TestStunServer: Sendable {
    let socket: UDPSocket
    let requestsSeen = Locked<Int>(0)
    let dropFirst: Int
    let portShift: UInt16
    private let task: Task<Void, Never>

    var address: UDPAddress { socket.localAddress }

    init(host: String = "127.0.0.1", dropFirst: Int = 0, portShift: UInt16 = 0) async throws {
        let socket = try await UDPSocket.bind(host: host)
        self.socket = socket
        self.dropFirst = dropFirst
        self.portShift = portShift
        let seen = requestsSeen
        task = Task {
            for await datagram in socket.received {
                guard let request = try? StunCodec.parse(datagram.bytes), request.method == .binding,
                    request.messageClass == .request
                else { continue }
                let count = seen.withLock { n -> Int in
                    n += 1
                    return n
                }
                if count <= dropFirst { continue }
                let shown = UDPAddress(ip: datagram.from.ip, port: datagram.from.port &+ portShift)!
                let answer = StunMessage(
                    method: .binding, messageClass: .success, transactionID: request.transactionID,
                    attributes: [StunAttribute(type: StunAttributeType.xorMappedAddress,
                        value: StunAddressCodec.encodeXOR(shown, transactionID: request.transactionID))])
                socket.send(StunCodec.encode(answer), to: datagram.from)
            }
        }
    }

    var requests: Int { requestsSeen.withLock { $0 } }

    func stop() async {
        await socket.close()
        task.cancel()
    }
}

/// A client socket whose receive loop hands STUN answers to a transaction table.
final class StunTestClient: Sendable {
    let socket: UDPSocket
    let transactions = StunTransactions()
    let client: StunClient
    private let task: Task<Void, Never>

    init(host: String = "127.0.0.1", retransmission: StunRetransmission) async throws {
        let socket = try await UDPSocket.bind(host: host)
        self.socket = socket
        let transactions = self.transactions
        client = StunClient(sender: socket, transactions: transactions, retransmission: retransmission)
        task = Task {
            for await datagram in socket.received {
                if let message = try? StunCodec.parse(datagram.bytes) { transactions.deliver(message) }
            }
        }
    }

    func stop() async {
        await socket.close()
        task.cancel()
    }
}
