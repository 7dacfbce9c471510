import Synchronization

/// The NAT filtering test through our own TURN allocation (an RFC 5780-style test without a CHANGE-REQUEST
/// server; docs/p2p.md "NAT filtering"): we permit our own public IP on the relay and send a small probe from the
/// relay to our own server-reflexive address. Our NAT never sent anything to the relay's port, so the probe reaches
/// our socket only if the NAT lets in packets from anyone: endpoint-independent filtering. If it has not come after
/// a few RTOs, the filtering is endpoint-dependent. Without a relay (or an address to aim at) it is unknown.
enum FilteringTest {
    /// What to do: aim the probe at our mapping toward the TURN server, or say why the test cannot run.
    enum Plan: Equatable {
        case probe(target: UDPAddress)
        case skip(reason: String)
    }

    /// How one test ended.
    enum Outcome: Equatable {
        /// The probe reached our socket.
        case arrived
        /// Permission granted, probes sent, nothing within the deadline.
        case notArrived
        /// The relay refused or did not answer the CreatePermission.
        case failed(String)

        /// What the outcome says about our NAT.
        var filtering: NATFiltering {
            switch self {
            case .arrived: .endpointIndependent
            case .notArrived: .endpointDependent
            case .failed: .unknown
            }
        }
    }

    /// Probes sent (a Send indication may be lost), one RTO apart; the verdict waits one more RTO after the last.
    static let probeCount = 3

    /// Picks the probe's target: the address the TURN server saw us at (XOR-MAPPED-ADDRESS of the Allocate — the
    /// mapping the relay's packet must pass), else the first server-reflexive address of the same IP family.
    static func plan(relayed: UDPAddress?, mapped: UDPAddress?, reflexive: [UDPAddress]) -> Plan {
        guard let relayed else { return .skip(reason: "no relay allocation") }
        if let mapped, mapped.isIPv4 == relayed.isIPv4 { return .probe(target: mapped) }
        if let first = reflexive.first(where: { $0.isIPv4 == relayed.isIPv4 }) { return .probe(target: first) }
        return .skip(reason: "no server-reflexive address of the relay's IP family")
    }

    /// How long the test may take at most after the permission is granted (probes at 0, 1, 2 RTO; verdict at 3).
    static func probeWindow(rto: Duration) -> Duration { rto * probeCount }

    /// Runs the test: permit our own IP, send the probes from the relay, wait for one to arrive (delivered by the
    /// node's receive path into `inbox`). Bounded: the CreatePermission gets `4 × rto`, the probes `3 × rto`.
    static func run(allocation: TurnAllocation, target: UDPAddress, inbox: FilteringProbeInbox, rto: Duration) async
        -> (outcome: Outcome, milliseconds: Int)
    {
        let started = ContinuousClock.now
        let probe = FilteringProbe(relay: allocation.relayedAddress)
        let arrivals = inbox.expect(probe)
        defer { inbox.forget(probe) }
        let outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                for await _ in arrivals { return .arrived }
                return nil
            }
            group.addTask {
                do { try await allocation.permit([target]) } catch { return .failed("CreatePermission for our own address: \(error)") }
                for index in 0..<probeCount {
                    if Task.isCancelled { return nil }
                    allocation.send(probe.bytes, to: target)
                    if index < probeCount - 1 { try? await Task.sleep(for: rto) }
                }
                try? await Task.sleep(for: rto)
                return Task.isCancelled ? nil : .notArrived
            }
            group.addTask {
                // The permission itself must not hold gathering up for the STUN retransmission schedule (39.5 s).
                try? await Task.sleep(for: rto * (4 + probeCount))
                return Task.isCancelled ? nil : .failed("no verdict within \(rto * (4 + probeCount)) (CreatePermission unanswered)")
            }
            var result: Outcome = .failed("the test was cancelled")
            for await value in group {
                if let value {
                    result = value
                    break
                }
            }
            group.cancelAll()
            return result
        }
        return (outcome, Int((ContinuousClock.now - started) / .milliseconds(1)))
    }
}

/// The filtering probe: type byte `0xA6` and a random 16-byte nonce, sent from our relay to ourselves. Not a secret
/// (it says nothing), but only a packet from our relay's address with the nonce we chose counts.
struct FilteringProbe: Hashable, Sendable {
    /// The relayed address the probe leaves from.
    let relay: UDPAddress
    let nonce: [UInt8]

    init(relay: UDPAddress, nonce: [UInt8] = (0..<16).map { _ in UInt8.random(in: 0...255) }) {
        self.relay = relay
        self.nonce = nonce
    }

    /// The datagram: type and nonce.
    var bytes: [UInt8] { [PacketType.filteringProbe.rawValue] + nonce }

    /// Whether a datagram is this probe arriving from the relay.
    func matches(_ bytes: [UInt8], from: UDPAddress) -> Bool {
        from == relay && bytes == self.bytes
    }
}

/// Where filtering probes that reach our socket meet the test waiting for them (the receive path runs on the
/// node's actor, the test in a job of its own).
final class FilteringProbeInbox: Sendable {
    private let waiting = Mutex<[FilteringProbe: AsyncStream<Void>.Continuation]>([:])

    /// Starts waiting for a probe; the stream yields when it arrives.
    func expect(_ probe: FilteringProbe) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        waiting.withLock { $0[probe] = continuation }
        return stream
    }

    /// Stops waiting.
    func forget(_ probe: FilteringProbe) {
        waiting.withLock { $0.removeValue(forKey: probe) }?.finish()
    }

    /// A datagram of the probe's type arrived: true when a running test expected it.
    func deliver(_ bytes: [UInt8], from: UDPAddress) -> Bool {
        let continuation = waiting.withLock { table in table.first { $0.key.matches(bytes, from: from) }?.value }
        continuation?.yield()
        return continuation != nil
    }
}
