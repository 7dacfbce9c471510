import Foundation
import PSN
import PSNSimulator
import PartyBusCore
import PSNTestSupport
import PartyBusTestSupport
import Testing

/// A throw-away CA and a server certificate for 127.0.0.1 / localhost, made with the openssl command-line tool.
struct TestCertificates {
    let dir: TemporaryDirectory
    var caCertificate: String { dir.path("ca.pem") }
    var serverCertificate: String { dir.path("server.pem") }
    var serverKey: String { dir.path("server.key") }

    /// EC P-256 keys (accepted by libcurl and libwebsockets over OpenSSL 3 and by NIOSSL's BoringSSL).
    init() throws {
        dir = try TemporaryDirectory()
        let extensions = """
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature
            extendedKeyUsage = serverAuth
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid, issuer
            subjectAltName = IP:127.0.0.1, DNS:localhost

            """
        try extensions.write(toFile: dir.path("server.ext"), atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + ec + [
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=PartyBus Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", "subjectKeyIdentifier=hash",
        ])
        try openssl(["req", "-new"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
        try openssl([
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2",
            "-days", "2", "-sha256", "-extfile", "server.ext", "-out", "server.pem",
        ])
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = dir.url
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OpenSSLFailure(arguments: arguments, output: String(decoding: output, as: UTF8.self))
        }
    }

    struct OpenSSLFailure: Error, CustomStringConvertible {
        let arguments: [String]
        let output: String
        var description: String { "openssl \(arguments.joined(separator: " ")) failed: \(output)" }
    }
}

@Suite("PSN against the simulator over TLS", .serialized)
struct TLSTests {
    private func tlsConfiguration(_ certificates: TestCertificates) -> SimulatorConfiguration {
        simulatorConfiguration {
            $0.tls = SimulatorTLS(
                certificateChainPath: certificates.serverCertificate, privateKeyPath: certificates.serverKey)
        }
    }

    @Test("https sign-in, wss push and a party with a member joining, trusting a test CA")
    func partyOverTLS() async throws {
        let certificates = try TestCertificates()
        try await PSNSimulator.withRunning(configuration: tlsConfiguration(certificates)) { simulator in
            let base = try #require(simulator.baseURL)
            #expect(base.hasPrefix("https://127.0.0.1:"))
            let me = try ClientHarness(simulator: simulator) {
                $0.allowInsecureLoopback = false
                $0.caFile = certificates.caCertificate
            }
            let signedIn = try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            #expect(signedIn.accountId == TestAccounts.me.accountId)
            let (_, push) = me.startPush()
            defer { push.cancel() }
            #expect(try await eventually { try !me.events("push.connected").isEmpty })
            #expect(await eventually { simulator.authenticatedPushSockets(accountId: TestAccounts.me.accountId) == 1 })

            let sessionId = try await me.client.parties.create(name: "Secure")
            #expect(await eventually { me.members(sessionId) == [TestAccounts.me.accountId] })
            try await me.client.parties.invite(sessionId, accountIds: [TestAccounts.alice.accountId])
            _ = try simulator.perform(actor: "sim-alice", action: "join", args: ["sessionId": .string(sessionId)])
            #expect(await eventually { me.members(sessionId) == [TestAccounts.me.accountId, TestAccounts.alice.accountId] })
            return ()
        }
    }

    @Test("without the test CA, sign-in fails at once with a certificate error")
    func untrustedCertificate() async throws {
        let certificates = try TestCertificates()
        try await PSNSimulator.withRunning(configuration: tlsConfiguration(certificates)) { simulator in
            let me = try ClientHarness(simulator: simulator) { $0.allowInsecureLoopback = false }
            await #expect {
                try await me.client.tokens.signIn(npsso: Secret(TestAccounts.me.npsso))
            } throws: { error in
                guard case .transport(let text) = error as? PSNError else { return false }
                return text.lowercased().contains("certificate")
            }
            // An untrusted certificate is permanent: no retries.
            #expect(!me.memory.all.contains { $0.contains("retry") })
            return ()
        }
    }
}
