/// The order an easy-NAT side sprays a hard (symmetric) NAT's ports in: every port of `range` exactly once, in a
/// pseudo-random order (a random start and a random stride coprime to the range size), with O(1) memory.
struct PortSweep: Sendable {
    /// The ports a NAT picks from. Linux (`MASQUERADE --random-fully`, netfilter's default for a source port ≥ 1024)
    /// and most home routers map into 1024…65535.
    static let defaultRange: ClosedRange<Int> = 1024...65535

    let range: ClosedRange<Int>
    private let start: Int
    private let stride: Int
    /// How many ports were handed out.
    private(set) var issued = 0

    init(range: ClosedRange<Int> = PortSweep.defaultRange) {
        self.range = range
        let size = range.count
        start = Int.random(in: 0..<size)
        var candidate = Int.random(in: 1..<max(2, size))
        while PortSweep.gcd(candidate, size) != 1 { candidate = candidate % (size - 1) + 1 }
        stride = candidate
    }

    /// Whether every port was handed out.
    var exhausted: Bool { issued >= range.count }

    /// The next up to `count` ports (fewer at the end of the sweep).
    mutating func next(_ count: Int) -> [Int] {
        let size = range.count
        var ports: [Int] = []
        ports.reserveCapacity(min(count, size - issued))
        while ports.count < count && issued < size {
            // (start + issued·stride) mod size, without overflow for any range of UInt16 ports.
            ports.append(range.lowerBound + (start + issued * stride) % size)
            issued += 1
        }
        return ports
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
