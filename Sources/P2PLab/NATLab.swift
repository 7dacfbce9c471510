import Foundation
public import P2P
#if canImport(Glibc)
import Glibc
#endif

/// NAT behaviours a lab router can have (Linux netfilter rules inside the router's namespace).
public enum NATKind: String, CaseIterable, Sendable {
    /// SNAT keeping the port plus DNAT of all inbound UDP to the host: anyone may send to the mapping.
    case fullCone = "full-cone"
    /// MASQUERADE (keeps the port): only the exact address and port we sent to may answer.
    case portRestricted = "port-restricted"
    /// MASQUERADE --random-fully: a new port for every destination (endpoint-dependent mapping).
    case symmetric
}

/// Network namespaces a test builds: an "internet" namespace with coturn, and per site a NAT router and a host.
///
///     host-i (198.19.i.2) ── router-i [NAT] (198.18.i.2) ── inet (198.18.i.1, coturn) ── …
///
/// Only addresses inside these namespaces are used (198.18.0.0/15, the benchmarking range); everything is deleted
/// at the end. Needs root, iproute2 and iptables.
public final class NATLab: @unchecked Sendable {
    public static var unavailableReason: String? {
        if getuid() != 0 { return "needs root (network namespaces)" }
        for tool in ["/usr/sbin/ip", "/usr/sbin/iptables", "/usr/sbin/conntrack"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "needs \(tool) (iproute2, iptables, conntrack: scripts/install-deps.sh)"
        }
        if !Coturn.available { return "needs coturn (scripts/install-deps.sh)" }
        return nil
    }
    public static var available: Bool { unavailableReason == nil }

    public let prefix: String
    var namespaces: [String] = []
    public var coturn: Coturn?

    public init() {
        prefix = "pb\(getpid() % 10000)\(Int.random(in: 100...999))"
    }

    public var inet: String { "\(prefix)-inet" }
    public func router(_ site: Int) -> String { "\(prefix)-r\(site)" }
    public func host(_ site: Int) -> String { "\(prefix)-h\(site)" }
    public func hostAddress(_ site: Int) -> String { "198.19.\(site).2" }
    public func publicAddress(_ site: Int) -> String { "198.18.\(site).2" }
    public func serverAddress(_ site: Int) -> String { "198.18.\(site).1" }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw P2PError("\(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
        }
        return text
    }

    func ip(_ args: String) throws { try NATLab.run(["/usr/sbin/ip"] + args.split(separator: " ").map(String.init)) }
    public func inNS(_ ns: String, _ args: String) throws {
        try NATLab.run(["/usr/sbin/ip", "netns", "exec", ns] + args.split(separator: " ").map(String.init))
    }

    func addNamespace(_ name: String) throws {
        try ip("netns add \(name)")
        namespaces.append(name)
        try inNS(name, "ip link set lo up")
    }

    /// Builds the internet namespace and `sites` sites with the given NAT kinds; starts coturn.
    public func build(_ kinds: [NATKind]) async throws {
        try addNamespace(inet)
        try inNS(inet, "sysctl -qw net.ipv4.ip_forward=1")
        for (offset, kind) in kinds.enumerated() {
            let site = offset + 1
            try addNamespace(router(site))
            try addNamespace(host(site))
            try inNS(router(site), "sysctl -qw net.ipv4.ip_forward=1")
            // WAN link: inet ↔ router.
            try ip("link add \(prefix)w\(site)a type veth peer name \(prefix)w\(site)b")
            try ip("link set \(prefix)w\(site)a netns \(inet)")
            try ip("link set \(prefix)w\(site)b netns \(router(site))")
            try inNS(inet, "ip addr add \(serverAddress(site))/24 dev \(prefix)w\(site)a")
            try inNS(inet, "ip link set \(prefix)w\(site)a up")
            try inNS(router(site), "ip link set \(prefix)w\(site)b name wan")
            try inNS(router(site), "ip addr add \(publicAddress(site))/24 dev wan")
            try inNS(router(site), "ip link set wan up")
            try inNS(router(site), "ip route add default via \(serverAddress(site))")
            // LAN link: router ↔ host.
            try ip("link add \(prefix)l\(site)a type veth peer name \(prefix)l\(site)b")
            try ip("link set \(prefix)l\(site)a netns \(router(site))")
            try ip("link set \(prefix)l\(site)b netns \(host(site))")
            try inNS(router(site), "ip link set \(prefix)l\(site)a name lan")
            try inNS(router(site), "ip addr add 198.19.\(site).1/24 dev lan")
            try inNS(router(site), "ip link set lan up")
            try inNS(host(site), "ip link set \(prefix)l\(site)b name eth0")
            try inNS(host(site), "ip addr add \(hostAddress(site))/24 dev eth0")
            try inNS(host(site), "ip link set eth0 up")
            try inNS(host(site), "ip route add default via 198.19.\(site).1")
            try setNAT(site: site, kind)
        }
        coturn = try await Coturn(listening: kinds.indices.map { serverAddress($0 + 1) }, namespace: inet)
    }

    /// Sets a router's NAT rules (replacing any before) and forgets its connections: a fresh router, without the
    /// previous experiment's entries (a hard-NAT spray leaves tens of thousands for 30 s).
    public func setNAT(site: Int, _ kind: NATKind) throws {
        let r = router(site)
        try inNS(r, "iptables -t nat -F")
        try inNS(r, "conntrack -F")
        switch kind {
        case .fullCone:
            try inNS(r, "iptables -t nat -A POSTROUTING -o wan -p udp -j SNAT --to-source \(publicAddress(site))")
            try inNS(r, "iptables -t nat -A PREROUTING -i wan -p udp -j DNAT --to-destination \(hostAddress(site))")
        case .portRestricted:
            try inNS(r, "iptables -t nat -A POSTROUTING -o wan -p udp -j MASQUERADE")
        case .symmetric:
            try inNS(r, "iptables -t nat -A POSTROUTING -o wan -p udp -j MASQUERADE --random-fully")
        }
    }

    /// A NAT rebinding on a port-keeping router (as after a router reboot or a carrier-grade NAT timing out): it
    /// forgets every mapping (`conntrack -F`) and maps to another port range from now on.
    public func rebind(site: Int, ports: ClosedRange<Int>) throws {
        let r = router(site)
        try inNS(r, "iptables -t nat -F")
        try inNS(r, "iptables -t nat -A POSTROUTING -o wan -p udp -j MASQUERADE --to-ports \(ports.lowerBound)-\(ports.upperBound)")
        try inNS(r, "conntrack -F")
    }

    /// STUN servers (two inet addresses, for the probe) and the TURN server.
    public var stunServers: [UDPAddress] { coturn?.addresses ?? [] }
    public var turn: TurnServer? {
        coturn.map { TurnServer(address: $0.addresses[0], username: Coturn.user, password: Coturn.password) }
    }

    /// A UDP socket created inside a namespace (the socket keeps its namespace; the thread that made it ends).
    public func socket(in namespace: String) async throws -> UDPSocket {
        let fd: CInt = try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try NATLab.makeSocket(namespace: namespace) })
            }
            thread.start()
        }
        return try await UDPSocket.adopt(fileDescriptor: fd)
    }

    /// A site host's interface addresses now, with `port` (what a node in it would list after its host moved):
    /// read on a thread of its own that enters the namespace and ends.
    public func hostAddresses(site: Int, port: UInt16) async -> [UDPAddress] {
        let namespace = host(site)
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                do {
                    try NATLab.enter(namespace)
                    let like = UDPAddress(ip: [0, 0, 0, 0], port: port)
                    continuation.resume(returning: like.map { P2PNode.interfaceAddresses(like: $0, includeLoopback: false) } ?? [])
                } catch {
                    continuation.resume(returning: [])
                }
            }
            thread.start()
        }
    }

    /// Moves the calling thread into a namespace (for good: only on a thread that ends afterwards).
    private static func enter(_ namespace: String) throws {
        let nsfd = open("/var/run/netns/\(namespace)", O_RDONLY)
        guard nsfd >= 0 else { throw P2PError("cannot open namespace \(namespace)") }
        defer { close(nsfd) }
        // glibc's setns(2) is not in Swift's Glibc module (it needs _GNU_SOURCE): look it up by name.
        typealias SetNS = @convention(c) (CInt, CInt) -> CInt
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { throw P2PError("setns is not available") }
        let setns = unsafeBitCast(symbol, to: SetNS.self)
        guard setns(nsfd, 0x4000_0000) == 0 else { throw P2PError("setns(\(namespace)) failed: errno \(errno)") }
    }

    private static func makeSocket(namespace: String) throws -> CInt {
        try enter(namespace)
        let fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw P2PError("socket() failed in \(namespace)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw P2PError("bind failed in \(namespace): errno \(errno)") }
        return fd
    }

    /// A socket and its host address inside a site's host namespace.
    public func endpoint(site: Int) async throws -> (UDPSocket, UDPAddress) {
        let socket = try await socket(in: host(site))
        return (socket, try UDPAddress(parsing: "\(hostAddress(site)):\(socket.localAddress.port)"))
    }

    public func tearDown() {
        coturn?.stop()
        for ns in namespaces.reversed() { try? ip("netns del \(ns)") }
        namespaces = []
    }
}
