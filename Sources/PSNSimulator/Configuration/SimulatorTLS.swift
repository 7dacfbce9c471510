import NIOCore
import NIOSSL

/// TLS for the simulator's one server (https, and wss for the push socket). Both files are PEM.
public struct SimulatorTLS: Codable, Sendable, Equatable {
    /// The server certificate, optionally followed by intermediates (leaf first).
    public var certificateChainPath: String
    /// The private key of the leaf certificate (PKCS#8, RSA or EC).
    public var privateKeyPath: String

    /// Creates TLS settings from two PEM files.
    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }

    enum CodingKeys: String, CodingKey { case certificateChainPath, privateKeyPath }

    /// Reads both files into a NIOSSL server configuration.
    func makeServerConfiguration() throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certificateChainPath)
        guard !chain.isEmpty else { throw SimulatorTLSError.emptyCertificateChain(path: certificateChainPath) }
        let key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        // Idle keep-alive clients (libcurl's pool) never answer close_notify; don't hold graceful shutdown 5 s.
        configuration.shutdownTimeout = .milliseconds(250)
        return configuration
    }
}

/// A PEM file that holds no certificate.
struct SimulatorTLSError: Error, CustomStringConvertible {
    let description: String

    static func emptyCertificateChain(path: String) -> SimulatorTLSError {
        SimulatorTLSError(description: "no certificate in '\(path)'")
    }
}
