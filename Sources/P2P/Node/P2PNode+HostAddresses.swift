import PartyBusPluginAPI

/// Lists the host's interface addresses again (with the node's port); nil when the socket is bound to one address.
public typealias HostAddressSource = @Sendable () async -> [UDPAddress]

/// Host candidates that follow the host: every `hostAddressCheckInterval` the node asks its `HostAddressSource`;
/// when the addresses changed (a new Wi-Fi, a new DHCP lease) a network check runs at once (STUN again: a new local
/// address usually means a new mapping), which replaces the host candidates too: `p2p.candidates_changed` (reason
/// `host_addresses`) and a `network_change` handshake to every connected friend carrying them.
extension P2PNode {
    /// From the timer: starts a listing in the background when one is due.
    func checkHostAddresses(now: ContinuousClock.Instant) {
        guard let source = hostAddressSource, !hostCheckRunning, now - lastHostCheck >= configuration.hostAddressCheckInterval else {
            return
        }
        hostCheckRunning = true
        lastHostCheck = now
        jobSink.yield { [weak self] in
            let fresh = await source()
            await self?.hostAddressesChecked(fresh)
        }
    }

    /// Applies a listing. An empty one (between an address going and the next coming) changes nothing.
    func hostAddressesChecked(_ fresh: [UDPAddress]) {
        hostCheckRunning = false
        guard !fresh.isEmpty, Set(fresh) != Set(hostAddresses) else { return }
        hostAddresses = fresh
        // A check already running applies the new host addresses when it ends (`networkChecked`).
        if !networkCheckRunning { checkNetwork(reason: "host_addresses", minimumGap: .zero) }
    }
}
