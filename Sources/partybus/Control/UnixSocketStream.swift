import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain HTTP/1.1 client over a Unix socket for the daemon's server-sent event stream: it reads on a thread of
/// its own (blocking reads never run on Swift's cooperative pool), undoes chunked transfer encoding, and hands
/// each event to `handler` as it arrives — nothing is buffered beyond the event being read.
enum UnixSocketStream {
    /// One server-sent event.
    struct ServerSentEvent {
        var id: String?
        var event: String?
        var data: String
    }

    /// True when something accepts connections on `path`.
    static func canConnect(_ path: String) -> Bool {
        let fd = connectSocket(path)
        if fd >= 0 { close(fd) }
        return fd >= 0
    }

    /// GETs `target` and calls `handler` for every event until the stream ends; throws when the daemon cannot be
    /// reached or answers with an error.
    static func follow(socketPath: String, target: String, handler: @escaping @Sendable (ServerSentEvent) -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                do {
                    try read(socketPath: socketPath, target: target, handler: handler)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private static func connectSocket(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            return -1
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected != 0 {
            close(fd)
            return -1
        }
        return fd
    }

    private static func read(socketPath: String, target: String, handler: (ServerSentEvent) -> Void) throws {
        let fd = connectSocket(socketPath)
        guard fd >= 0 else { throw ControlError("cannot connect to the daemon at \(socketPath)") }
        defer { close(fd) }
        let request = "GET \(target) HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var reader = LineReader(fd: fd)
        guard let statusLine = try reader.line(), statusLine.hasPrefix("HTTP/1.1 ") else {
            throw ControlError("the daemon closed the stream before answering")
        }
        var chunked = false
        while let header = try reader.line(), !header.isEmpty {
            if header.lowercased().hasPrefix("transfer-encoding:") && header.lowercased().contains("chunked") { chunked = true }
        }
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        var body = BodyReader(reader: reader, chunked: chunked)
        guard status == 200 else {
            let text = (try? body.remaining()) ?? ""
            let message = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["error"] as? String
            throw ControlError(message ?? "the daemon answered HTTP \(status)")
        }
        var event = ServerSentEvent(data: "")
        var hasData = false
        while let line = try body.line() {
            if line.isEmpty {
                if hasData { handler(event) }
                event = ServerSentEvent(data: "")
                hasData = false
            } else if line.hasPrefix(":") {
                continue
            } else if line.hasPrefix("id: ") {
                event.id = String(line.dropFirst(4))
            } else if line.hasPrefix("event: ") {
                event.event = String(line.dropFirst(7))
            } else if line.hasPrefix("data: ") {
                event.data += (hasData ? "\n" : "") + line.dropFirst(6)
                hasData = true
            }
        }
    }

    /// Reads CRLF- or LF-terminated lines and raw bytes from a socket, with a bounded line length.
    struct LineReader {
        let fd: Int32
        var buffer: [UInt8] = []
        var position = 0
        static let maxLine = 4 << 20

        init(fd: Int32) { self.fd = fd }

        mutating func fill() throws -> Bool {
            if position > 0 {
                buffer.removeFirst(position)
                position = 0
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { return true }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }

        mutating func line() throws -> String? {
            while true {
                if let newline = buffer[position...].firstIndex(of: 0x0A) {
                    var end = newline
                    if end > position && buffer[end - 1] == 0x0D { end -= 1 }
                    let text = String(decoding: buffer[position..<end], as: UTF8.self)
                    position = newline + 1
                    return text
                }
                guard buffer.count - position < Self.maxLine else { throw ControlError("a line of the stream is too long") }
                guard try fill() else { return nil }
            }
        }

        mutating func bytes(_ count: Int) throws -> [UInt8]? {
            while buffer.count - position < count {
                guard try fill() else { return nil }
            }
            let out = Array(buffer[position..<position + count])
            position += count
            return out
        }
    }

    /// The body: lines of the event stream, through chunked decoding when the server uses it.
    struct BodyReader {
        var reader: LineReader
        let chunked: Bool
        var pending: [UInt8] = []

        init(reader: LineReader, chunked: Bool) {
            self.reader = reader
            self.chunked = chunked
        }

        mutating func line() throws -> String? {
            guard chunked else { return try reader.line() }
            while true {
                if let newline = pending.firstIndex(of: 0x0A) {
                    var end = newline
                    if end > 0 && pending[end - 1] == 0x0D { end -= 1 }
                    let text = String(decoding: pending[0..<end], as: UTF8.self)
                    pending.removeFirst(newline + 1)
                    return text
                }
                guard pending.count < LineReader.maxLine else { throw ControlError("a line of the stream is too long") }
                guard let sizeLine = try reader.line() else { return nil }
                guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
                    throw ControlError("malformed chunk size '\(sizeLine.prefix(20))' in the daemon's stream")
                }
                if size == 0 { return nil }
                guard let data = try reader.bytes(size) else { return nil }
                pending.append(contentsOf: data)
                _ = try reader.line()
            }
        }

        mutating func remaining() throws -> String {
            var text = ""
            while let line = try line() { text += line }
            return text
        }
    }
}
