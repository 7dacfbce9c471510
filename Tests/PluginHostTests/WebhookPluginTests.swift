import Foundation
import PartyBusCore
import PartyBusPluginTesting
import Testing
import Webhook

/// The webhook plugin in-process, with the fake context of `PartyBusPluginTesting`: signatures against Python's
/// `hmac`, option errors naming the key, and a receiver that never answers filling the bounded queue.
@Suite("WebhookPlugin")
struct WebhookPluginTests {
    @Test("signatures match Python's hmac/hashlib for short, long-key and long-body inputs; verify is strict")
    func signatures() {
        let body = Data(#"{"a":1}"#.utf8)
        #expect(
            WebhookSignature.sign(secret: Secret("key"), timestamp: 1_700_000_000, body: body)
                == "v1=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03")
        #expect(
            WebhookSignature.sign(secret: Secret(String(repeating: "k", count: 100)), timestamp: 5, body: Data(repeating: 0x7A, count: 1000))
                == "v1=5b2c5c29908c517e7fc4cb6bed33bb95634b89a9689c82b88db2a161a3ad56b4")
        #expect(
            WebhookSignature.sign(secret: Secret("key"), timestamp: 0, body: Data())
                == "v1=85841b4efc3cd7776c3c8f9b7cca9e281c550e5d19889d78e9e669c6337f000d")
        let signature = WebhookSignature.sign(secret: Secret("key"), timestamp: 1000, body: body)
        #expect(WebhookSignature.verify(secret: Secret("key"), timestamp: 1000, body: body, signature: signature, now: 1100))
        #expect(!WebhookSignature.verify(secret: Secret("key"), timestamp: 1000, body: body, signature: signature, now: 1400))
        #expect(!WebhookSignature.verify(secret: Secret("other"), timestamp: 1000, body: body, signature: signature, now: 1000))
        #expect(!WebhookSignature.verify(secret: Secret("key"), timestamp: 1001, body: body, signature: signature, now: 1000))
    }

    @Test("bad options are refused naming the key, never echoing the secret")
    func options() async throws {
        let context = try FakePluginContext(pluginName: "hook")
        func error(_ options: [String: JSONValue]) async -> String {
            do {
                _ = try await WebhookPlugin(context: context, options: PluginOptions(.object(options)))
                return ""
            } catch { return "\(error)" }
        }
        #expect(await error(["url": .string("http://127.0.0.1:9/x")]).contains("options.secret"))
        #expect(await error(["url": .string("ftp://h/x"), "secret": .string("s3cr3t-value")]).contains("options.url"))
        let queue = await error(["url": .string("http://127.0.0.1:9/"), "secret": .string("s3cr3t-value"), "queue_capacity": .int(0)])
        #expect(queue.contains("options.queue_capacity") && !queue.contains("s3cr3t-value"))
        #expect(await error(["url": .string("http://127.0.0.1:9/"), "secret_file": .string("/nonexistent/secret")]).contains("options.secret_file"))
    }

    @Test("a receiver that never answers: handle never waits, the queue holds queue_capacity, drops are counted and published, undelivered events are kept for the next start")
    func boundedQueue() async throws {
        let listener = try SilentListener()
        let context = try FakePluginContext(pluginName: "slow-hook", performSideEffects: true)
        let options = PluginOptions(.object([
            "url": .string("http://127.0.0.1:\(listener.port)/hook"), "secret": .string("the-secret-value"),
            "queue_capacity": .int(2), "timeout_ms": .int(60_000),
        ]))
        let plugin = try await WebhookPlugin(context: context, options: options)
        var fed: [UInt64] = []
        for index in 0..<10 {
            let event = try context.event(PartyMemberJoined(sessionId: "s1", member: PartyMember(accountId: "\(index + 1)", onlineId: "m\(index)")))
            fed.append(event.seq)
            try await context.deliver(event, to: plugin)
        }
        // The first drop is reported at once.
        let first = try #require(context.published.first { $0.type == "webhook.dropped" })
        #expect(try first.decode([String: JSONValue].self)["dropped"]?.intValue == 1)
        await plugin.stop()

        let reports = try context.published.filter { $0.type == "webhook.dropped" }.map { try $0.decode(WebhookDropped.self) }
        let dropped = reports.map(\.dropped).reduce(0, +)
        #expect(reports.last?.totalDropped == dropped)
        let pendingFile = context.dataDirectory.appendingPathComponent("pending.jsonl")
        let pending = try String(contentsOf: pendingFile, encoding: .utf8).split(separator: "\n")
        // One in flight (or about to be) plus two queued are kept; everything else was dropped and counted.
        #expect(pending.count + dropped == 10, "pending \(pending.count), dropped \(dropped)")
        #expect((2...3).contains(pending.count))
        #expect(pending.first?.contains("\"seq\":\(fed[0])") == true, "the first event stays first: \(pending.first ?? "")")
        let mode = try FileManager.default.attributesOfItem(atPath: pendingFile.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(!context.logged.joined().contains("the-secret-value"))

        // The next start queues them again, first.
        let again = try await WebhookPlugin(context: context, options: options)
        #expect(context.logged.contains { $0.contains("\(pending.count) deliveries left from the last run queued again") })
        await again.stop()
        let kept = try String(contentsOf: pendingFile, encoding: .utf8).split(separator: "\n")
        #expect(kept.count == pending.count)
    }
}

/// A loopback TCP listener that accepts nothing and answers nothing: requests to it hang until their timeout.
final class SilentListener: Sendable {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw PluginError("cannot listen on loopback") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }
}
