import CPartyBusShims

/// The C heap of this process as glibc's malloc sees it (`mallinfo2`, summed over every arena): what live
/// allocations hold, what sits free inside the arenas, and how many arenas there are. Resident memory that grows
/// while `inUse` stays flat is fragmentation (free holes malloc keeps), not a leak; `inUse` that keeps growing is a
/// leak or a cache still filling (`partybus_sqlite_memory_bytes` tells SQLite's part).
struct HeapStatistics: Sendable, Equatable {
    /// Bytes held by live allocations (mmapped large blocks included).
    var inUse: Int
    /// Bytes free inside the arenas (holes and tops malloc has not given back to the kernel).
    var free: Int
    /// How many arenas malloc has made (main and per-thread; -1 when unknown).
    var arenas: Int

    /// The figures now.
    static func now() -> HeapStatistics {
        let info = pb_heap_statistics()
        return HeapStatistics(
            inUse: Int(info.in_use), free: Int(info.free), arenas: Int(pb_heap_arenas()))
    }
}
