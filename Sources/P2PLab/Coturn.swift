import Foundation
public import P2P

/// coturn (Debian's `turnserver`) started by a test or `partybus bench p2p` as a plain process, on loopback or
/// inside a namespace of a `NATLab` — never as a system service.
public final class Coturn: Sendable {
    public static let binary = "/usr/bin/turnserver"
    /// True when Debian's coturn is installed.
    public static var available: Bool { FileManager.default.isExecutableFile(atPath: binary) }
    /// The test credential.
    public static let user = "partybus"
    public static let password = "relay-test-password"
    public static let realm = "partybus.test"

    let process: Process
    /// The STUN/TURN port.
    public let port: Int
    let listening: [String]

    /// Starts coturn listening on the given IPs (relaying from the first) and waits until it answers STUN.
    public init(listening: [String] = ["127.0.0.1"], port: Int = Int.random(in: 20000...29000), namespace: String? = nil,
         extra: [String] = []) async throws
    {
        self.port = port
        self.listening = listening
        let process = Process()
        var arguments: [String] = []
        if let namespace {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            arguments = ["netns", "exec", namespace, Coturn.binary]
        } else {
            process.executableURL = URL(fileURLWithPath: Coturn.binary)
        }
        arguments += ["-n", "--no-cli", "--no-tls", "--no-dtls", "--listening-port", String(port),
                      "--realm", Coturn.realm, "--lt-cred-mech", "--user", "\(Coturn.user):\(Coturn.password)",
                      "--fingerprint", "--allow-loopback-peers", "--relay-ip", listening[0],
                      "--min-port", "49152", "--max-port", "49500", "--log-file", "stdout", "--simple-log", "--verbose",
                      "--pidfile", "/tmp/partybus-coturn-\(port).pid", "--userdb", "/tmp/partybus-coturn-\(port).db"]
        for ip in listening { arguments += ["--listening-ip", ip] }
        process.arguments = arguments + extra
        // Its log (no secrets: the test credential) helps when a relay test fails.
        FileManager.default.createFile(atPath: "/tmp/partybus-coturn-\(port).log", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: "/tmp/partybus-coturn-\(port).log") ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Ready when a Binding request is answered (from loopback), or after its sockets are up (in a namespace).
        if namespace == nil {
            let socket = try await UDPSocket.bind(host: "127.0.0.1")
            let transactions = StunTransactions()
            let reader = Task { for await datagram in socket.received { if let m = try? StunCodec.parse(datagram.bytes) { transactions.deliver(m) } } }
            defer { reader.cancel() }
            let client = StunClient(sender: socket, transactions: transactions,
                retransmission: StunRetransmission(initialRTO: .milliseconds(100), requestCount: 7, lastWaitMultiplier: 4))
            do { _ = try await client.binding(server: UDPAddress(parsing: "\(listening[0]):\(port)")) } catch {
                await socket.close()
                stop()
                throw error
            }
            await socket.close()
        } else {
            try await Task.sleep(for: .milliseconds(700))
        }
    }

    /// Where it listens.
    public var addresses: [UDPAddress] { listening.compactMap { try? UDPAddress(parsing: "\($0):\(port)") } }

    /// Stops it.
    public func stop() {
        // coturn in the foreground ignores SIGTERM and SIGINT (measured): it holds no state worth a clean stop.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: "/tmp/partybus-coturn-\(port).db")
    }
}
