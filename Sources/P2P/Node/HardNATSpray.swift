/// The easy side's spray toward a peer behind an endpoint-dependent ("hard", symmetric) NAT: probes to every port
/// of the peer's public IP in a random order until one reaches the port the peer's NAT opened toward us.
struct HardNATSpray: Sendable {
    /// The peer's public IPs (its server-reflexive candidates' addresses, port ignored).
    var targets: [UDPAddress]
    var sweep: PortSweep
    var probesSent = 0
    var round: Int
    let started: ContinuousClock.Instant
    /// Nil while spraying; when the round ended, the earliest time of the next one.
    var nextRound: ContinuousClock.Instant?

    init(targets: [UDPAddress], round: Int, range: ClosedRange<Int>) {
        self.targets = targets
        self.round = round
        sweep = PortSweep(range: range)
        started = .now
    }

    var running: Bool { nextRound == nil }
}
