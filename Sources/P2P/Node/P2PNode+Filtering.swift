import PartyBusPluginAPI

/// When our direct probes must be low-TTL "openers" (they open our NAT and die before the peer's) and when they
/// may go at the normal TTL. Openers exist for one trap: a normal-TTL packet reaching a *filtering* NAT before its
/// host sent anything to us leaves an unanswered conntrack entry there, and Linux then maps that host's own packets
/// to us from another port (docs/p2p.md "Openers"). A NAT with endpoint-independent filtering forwards such a packet
/// to its host instead (the entry is then the host's own mapping), so toward it there is nothing to avoid: the
/// probe goes straight in, the peer answers on that path, and the link is direct in about a round trip — the hard
/// (symmetric) side facing a full-cone peer needs no spray.
enum PunchPolicy {
    /// Whether a direct probe leaves as an opener: during the opener phase after a handshake, or while we (hard) wait
    /// for an easy peer's spray — unless the peer's filtering is endpoint-independent.
    static func probesAreOpeners(openerPhase: Bool, hardTowardEasy: Bool, peerFiltering: NATFiltering) -> Bool {
        guard peerFiltering != .endpointIndependent else { return false }
        return openerPhase || hardTowardEasy
    }

    /// Whether the easy side may start a sweep of a hard peer's ports: `startDelay` after connecting; but when our
    /// own filtering is endpoint-independent the hard peer (told so in the handshake) sends normal-TTL probes that
    /// come straight in, so the sweep is only the fallback once the fast punching phase ended without a direct path.
    static func sweepMayStart(sinceConnected: Duration, startDelay: Duration, ourFiltering: NATFiltering,
                              fastPhaseOver: Bool) -> Bool {
        guard sinceConnected >= startDelay else { return false }
        return ourFiltering != .endpointIndependent || fastPhaseOver
    }
}

/// The node's side of the filtering test (`FilteringTest`): at start and after a network check that changed our
/// addresses; the verdict goes into the token, every handshake payload and `p2p.nat_filtering_tested`.
extension P2PNode {
    /// Runs the test through `allocation` toward our mapping (`mapped`: the Allocate's XOR-MAPPED-ADDRESS, else the
    /// first of `reflexive`) and reports it; `.unknown` when it cannot run.
    func testFiltering(allocation: TurnAllocation?, mapped: UDPAddress?, reflexive: [UDPAddress]) async -> NATFiltering {
        let plan = FilteringTest.plan(relayed: allocation?.relayedAddress, mapped: mapped, reflexive: reflexive)
        guard case .probe(let target) = plan, let allocation else {
            let reason = switch plan {
            case .skip(let why): why
            case .probe: "no relay allocation"
            }
            emit(P2PNATFilteringTested(natFiltering: NATFiltering.unknown.rawValue, target: nil, relay: nil,
                                       milliseconds: 0, detail: reason))
            return .unknown
        }
        let (outcome, milliseconds) = await FilteringTest.run(allocation: allocation, target: target, inbox: filteringInbox,
                                                              rto: configuration.retransmission.initialRTO)
        let detail = switch outcome {
        case .arrived: "the relay's probe reached our socket: anyone may send to our mapping"
        case .notArrived: "no probe from the relay arrived within \(FilteringTest.probeWindow(rto: configuration.retransmission.initialRTO)): only addresses we sent to may answer"
        case .failed(let why): why
        }
        emit(P2PNATFilteringTested(natFiltering: outcome.filtering.rawValue, target: target.description,
                                   relay: allocation.relayedAddress.description, milliseconds: milliseconds, detail: detail))
        return outcome.filtering
    }
}
