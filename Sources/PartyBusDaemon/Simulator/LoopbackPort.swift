public import Foundation
public import PSNSimulator

#if canImport(Glibc)
import Glibc
#endif

/// A free TCP port on 127.0.0.1, so the built-in simulator's URLs are known before it starts (the PSN client is
/// built with them; both then run side by side in one `ServiceGroup`).
enum LoopbackPort {
    static func free() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoopbackPortError() }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw LoopbackPortError() }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// No loopback port could be had.
struct LoopbackPortError: Error, CustomStringConvertible {
    var description: String { "cannot bind a TCP port on 127.0.0.1 for the built-in simulator" }
}

extension BuiltinSimulator {
    /// The simulator configuration with a fixed port (a free one unless `sim.port` names one) and its base URL.
    public static func fixedPort(_ configuration: SimulatorConfiguration) throws -> (SimulatorConfiguration, String) {
        var configuration = configuration
        if configuration.port == 0 { configuration.port = try LoopbackPort.free() }
        return (configuration, "\(configuration.scheme)://\(configuration.host):\(configuration.port)")
    }
}
