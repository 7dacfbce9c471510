/// A sliding anti-replay window over message counters (RFC 6479 style, 2048 counters wide).
///
/// `check` says whether a counter could be new; `accept` records it, and is called only after the packet
/// authenticated, so forged packets cannot move the window.
public struct ReplayWindow: Sendable, Hashable {
    /// How many counters behind the highest one are still accepted.
    public static let width: UInt64 = 2048
    private var words = [UInt64](repeating: 0, count: Int(ReplayWindow.width / 64))
    /// The highest counter accepted so far (nil before the first).
    public private(set) var highest: UInt64?

    /// An empty window.
    public init() {}

    /// Why a counter was refused.
    public enum Refusal: Sendable, Hashable {
        /// The counter was seen before.
        case replayed
        /// The counter is older than the window.
        case tooOld
    }

    /// nil when the counter may be new, else why not.
    public func check(_ counter: UInt64) -> Refusal? {
        guard let highest else { return nil }
        if counter > highest { return nil }
        if highest - counter >= ReplayWindow.width { return .tooOld }
        return bit(counter) ? .replayed : nil
    }

    /// Records a counter (after `check` passed and the packet authenticated).
    public mutating func accept(_ counter: UInt64) {
        if let highest, counter <= highest {
            setBit(counter)
            return
        }
        let previous = highest
        highest = counter
        if let previous {
            let advance = counter - previous
            if advance >= ReplayWindow.width {
                for i in words.indices { words[i] = 0 }
            } else {
                var c = previous + 1
                while c < counter {
                    clearBit(c)
                    c += 1
                }
            }
        } else {
            for i in words.indices { words[i] = 0 }
        }
        setBit(counter)
    }

    private func position(_ counter: UInt64) -> (Int, UInt64) {
        let slot = counter % ReplayWindow.width
        return (Int(slot / 64), UInt64(1) << (slot % 64))
    }

    private func bit(_ counter: UInt64) -> Bool {
        let (word, mask) = position(counter)
        return words[word] & mask != 0
    }

    private mutating func setBit(_ counter: UInt64) {
        let (word, mask) = position(counter)
        words[word] |= mask
    }

    private mutating func clearBit(_ counter: UInt64) {
        let (word, mask) = position(counter)
        words[word] &= ~mask
    }
}
