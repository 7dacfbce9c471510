import Foundation
import PartyBusTestSupport
import Testing
import Voice

/// Debian's libnice maps ports with UPnP-IGD by default: every peer would start a gupnp-igd thread that multicasts SSDP
/// searches out of every interface (not only loopback) and asks the router to open ports. PartyBus turns it off.
@Suite("No UPnP", .serialized)
struct UPnPTests {
    @Test("a connected peer's ICE agent has UPnP off and no socket of ours is bound beyond loopback; audio still flows")
    func upnpOff() async throws {
        let dir = try TemporaryDirectory()
        let (a, b) = try await WebRTCPeerTests.connectedPair(in: dir)
        try await Task.sleep(for: .seconds(2))
        let upnpA = a.usesUPnP("b"), upnpB = b.usesUPnP("a")
        let outside = Self.nonLoopbackUDPSockets()
        await a.finish()
        await b.finish()
        #expect(upnpA == false && upnpB == false, "UPnP: a→b \(String(describing: upnpA)), b→a \(String(describing: upnpB))")
        // With UPnP, gupnp binds a socket to each interface's address to multicast its SSDP searches from.
        #expect(outside.isEmpty, "UDP sockets of this process bound beyond loopback: \(outside)")
        let heardByA = try AudioAnalysis.tail(dir.path("a.wav"), 440), heardByB = try AudioAnalysis.tail(dir.path("b.wav"), 660)
        #expect(heardByA > 1e-4 && heardByB > 1e-4, "both hear each other (\(heardByA), \(heardByB))")
    }

    /// Local addresses (hex, as `/proc/net/udp` shows them) of this process's UDP sockets bound to a specific address
    /// that is not loopback.
    static func nonLoopbackUDPSockets() -> [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        let inodes = Set(fds.compactMap { fd -> String? in
            guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"),
                link.hasPrefix("socket:[")
            else { return nil }
            return String(link.dropFirst(8).dropLast())
        })
        var found: [String] = []
        for table in ["/proc/self/net/udp", "/proc/self/net/udp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, inodes.contains(String(fields[9])) else { continue }
                let address = String(fields[1].split(separator: ":").first ?? "")
                let any = address.allSatisfy { $0 == "0" }
                // 0100007F is 127.0.0.1 (little-endian); IPv6 loopback is ::1.
                let loopback = address.hasSuffix("7F") && address.count == 8
                    || address == "00000000000000000000000001000000"
                if !any && !loopback { found.append(String(fields[1])) }
            }
        }
        return found
    }
}
