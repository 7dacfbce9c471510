/// Sends STUN requests with RFC 8489 retransmissions and waits for the matching answer.
public struct StunClient: Sendable {
    /// Where requests go out.
    public let sender: any DatagramSender
    /// Where answers come back (the receive loop delivers to it).
    public let transactions: StunTransactions
    /// The retransmission schedule.
    public let retransmission: StunRetransmission

    /// Makes a client.
    public init(sender: any DatagramSender, transactions: StunTransactions, retransmission: StunRetransmission = .rfcDefault) {
        self.sender = sender
        self.transactions = transactions
        self.retransmission = retransmission
    }

    /// Sends a request until an answer comes or the schedule runs out (then throws a timeout naming the server).
    /// `transmissions` counts how many datagrams went out.
    public func request(_ message: StunMessage, to server: UDPAddress, integrityKey: [UInt8]? = nil) async throws -> StunMessage {
        let bytes = StunCodec.encode(message, integrityKey: integrityKey)
        let waiter = transactions.register(message.transactionID)
        defer { transactions.remove(message.transactionID) }
        let schedule = retransmission
        let sender = self.sender
        return try await withThrowingTaskGroup(of: StunMessage.self) { group in
            group.addTask { try await waiter.answer() }
            group.addTask {
                for wait in schedule.waits {
                    sender.send(bytes, to: server)
                    try await Task.sleep(for: wait)
                }
                throw P2PError(
                    "STUN server \(server) did not answer after \(schedule.requestCount) transmissions")
            }
            defer { group.cancelAll() }
            guard let answer = try await group.next() else { throw CancellationError() }
            return answer
        }
    }

    /// Asks one server for our server-reflexive address (a Binding request).
    public func binding(server: UDPAddress) async throws -> UDPAddress {
        let answer = try await request(StunMessage(method: .binding, messageClass: .request,
            attributes: [StunAttribute(type: StunAttributeType.software, value: Array("partybus".utf8))]), to: server)
        guard answer.messageClass == .success else {
            let error = try? answer.errorCode()
            throw P2PError("STUN server \(server) answered error \(error?.code ?? 0) \(error?.reason ?? "")")
        }
        guard let mapped = try answer.mappedAddress() else {
            throw P2PError("STUN server \(server) answered without XOR-MAPPED-ADDRESS")
        }
        return mapped
    }

    /// Asks every server at once; the NAT behaviour compares what they saw.
    public func probe(servers: [UDPAddress]) async -> NATProbeResult {
        await withTaskGroup(of: (UDPAddress, Result<UDPAddress, P2PError>).self) { group in
            for server in servers {
                group.addTask {
                    do { return (server, .success(try await binding(server: server))) } catch let error as P2PError {
                        return (server, .failure(error))
                    } catch { return (server, .failure(P2PError("\(error)"))) }
                }
            }
            var answers: [NATProbeResult.Answer] = []
            for await (server, result) in group {
                switch result {
                case .success(let mapped): answers.append(.init(server: server, mapped: mapped, error: nil))
                case .failure(let error): answers.append(.init(server: server, mapped: nil, error: error.message))
                }
            }
            let order = Dictionary(uniqueKeysWithValues: servers.enumerated().map { ($1, $0) })
            answers.sort { (order[$0.server] ?? 0) < (order[$1.server] ?? 0) }
            return NATProbeResult(answers: answers)
        }
    }
}
