import Foundation
import Voice

/// A fixed workload timed in CPU time, so figures measured at different times or on different hosts can be compared:
/// on a shared VM the same build's CPU figures move by 2× with the host (docs/voice.md "Seventh pass"), and this
/// workload moves with them. Three parts, each a kind of work the voice path does: following pointers through 4 MB
/// (GStreamer's and GLib's objects, locks and lists — what a busy host slows most), allocating and copying packet-sized
/// blocks, and a chain of floating-point arithmetic (codec work). Deterministic: the same instructions every run.
struct HostReference: Sendable {
    /// CPU milliseconds of each part and in all.
    var chaseMilliseconds: Double
    var allocationMilliseconds: Double
    var arithmeticMilliseconds: Double
    var totalMilliseconds: Double { chaseMilliseconds + allocationMilliseconds + arithmeticMilliseconds }

    /// One line for people: the total and its parts.
    var summary: String {
        String(format: "reference: %.0f ms of CPU (following pointers %.0f, allocating and copying %.0f, arithmetic %.0f)",
               totalMilliseconds, chaseMilliseconds, allocationMilliseconds, arithmeticMilliseconds)
    }

    /// Runs the workload on the calling thread (about a third of a second; blocking — call it from a thread of its
    /// own or a process of its own, never from Swift concurrency's pool). It maps 4 MB for its duration.
    static func run() throws -> HostReference {
        // Following pointers: one random cycle (Sattolo's shuffle) through 1 Mi 32-bit indices (4 MB: past the core's L2,
        // within its share of L3 — at 16 MB the share other tenants left moved it by 2× between runs), 4 M steps.
        // Small pages always (no transparent huge pages), so the TLB sees the same buffer every run.
        let count = 1 << 20, bytes = count * MemoryLayout<UInt32>.stride
        guard let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
            throw VoiceError("bench reference: could not map \(bytes) bytes for the workload (errno \(errno))")
        }
        defer { munmap(mapped, bytes) }
        madvise(mapped, bytes, MADV_NOHUGEPAGE)
        let next = UnsafeMutableBufferPointer(start: mapped.bindMemory(to: UInt32.self, capacity: count), count: count)
        for index in 0..<count { next[index] = UInt32(index) }
        var random = LinearCongruential(state: 12345)
        for index in stride(from: count - 1, to: 0, by: -1) {
            next.swapAt(index, Int(random.next() % UInt64(index)))
        }
        var start = threadCPUMilliseconds()
        var position: UInt32 = 0
        for _ in 0..<4_000_000 { position = next[Int(position)] }
        let chase = threadCPUMilliseconds() - start
        // Allocating and copying: a million blocks of 64–2047 bytes, 64 alive at a time, each filled from a packet.
        let packet = [UInt8](repeating: 7, count: 2048)
        var alive = [UnsafeMutableRawPointer?](repeating: nil, count: 64)
        var checksum = 0
        start = threadCPUMilliseconds()
        packet.withUnsafeBytes { source in
            for _ in 0..<1_000_000 {
                let roll = random.next()
                let size = 64 + Int(roll >> 8) % 1984, slot = Int(roll >> 20) & 63
                free(alive[slot])
                guard let block = malloc(size) else { continue }
                memcpy(block, source.baseAddress!, size)
                checksum &+= Int(block.load(fromByteOffset: size - 1, as: UInt8.self))
                alive[slot] = block
            }
        }
        for block in alive { free(block) }
        let allocation = threadCPUMilliseconds() - start
        // Arithmetic: a dependent chain of 50 M multiply-adds (no vectorising: each step needs the last).
        start = threadCPUMilliseconds()
        var accumulator: Float = 0
        for step in 0..<50_000_000 { accumulator = accumulator * 0.999 + Float(step & 1023) * 0.5 }
        let arithmetic = threadCPUMilliseconds() - start
        // Keep the results alive so the optimiser cannot drop the loops.
        if position == .max && checksum == -1 && accumulator.isNaN { print("") }
        return HostReference(chaseMilliseconds: chase, allocationMilliseconds: allocation, arithmeticMilliseconds: arithmetic)
    }

    /// Runs the workload in a child `partybus bench reference --total` (so its 4 MB never count in the caller's
    /// resident memory, nor its CPU in the caller's figures) and returns the total CPU milliseconds, nil if it failed.
    static func runInChild() async -> Double? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let child = Process()
                child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
                child.arguments = ["bench", "reference", "--total"]
                let output = Pipe()
                child.standardOutput = output
                child.standardError = FileHandle.nullDevice
                do { try child.run() } catch { continuation.resume(returning: nil); return }
                let data = output.fileHandleForReading.readDataToEndOfFile()
                child.waitUntilExit()
                let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                continuation.resume(returning: child.terminationStatus == 0 ? Double(text) : nil)
            }
        }
    }

    private static func threadCPUMilliseconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) * 1000 + Double(now.tv_nsec) / 1_000_000
    }
}

/// A fixed pseudo-random sequence (Knuth's MMIX constants), so the workload is the same every run.
private struct LinearCongruential {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 16
    }
}
