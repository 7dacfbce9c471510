import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on standard error, drawn only when standard error is a terminal.
final class ProgressBar {
    private let total: UInt64
    private let enabled: Bool
    private var lastDrawn = ContinuousClock.now - .seconds(1)

    init(total: UInt64) {
        self.total = total
        enabled = isatty(STDERR_FILENO) == 1 && total > 0
    }

    func update(_ done: UInt64) {
        guard enabled, ContinuousClock.now - lastDrawn > .milliseconds(100) || done == total else { return }
        lastDrawn = ContinuousClock.now
        let width = 40
        let fraction = Double(done) / Double(total)
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardError.write(Data("\r\(bar) \(Int(fraction * 100))% \(done)/\(total)".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
