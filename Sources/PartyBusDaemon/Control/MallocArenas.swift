import CPartyBusShims
import Foundation

/// How many malloc arenas the daemon lets glibc make (docs/architecture.md, "Malloc arenas"). glibc gives a thread
/// that finds the arenas busy an arena of its own, up to eight per core, and memory freed in an arena stays with it.
/// Every WebRTC peer brings and takes away a dozen threads (streaming threads, libnice, DTLS, SCTP); with a member
/// leaving and coming back every few minutes, their allocations land in ever more arenas, whose freed memory no
/// other arena reuses: measured (`partybus bench soak`; a C probe of peer bins built and torn down) as resident
/// memory that creeps up while the bytes in use stay flat. A couple of arenas share their free memory among all
/// threads; per-thread caches (tcache) keep small allocations from contending for them.
public enum MallocArenas {
    /// The arenas the daemon allows unless told otherwise.
    public static let daemonDefault = 2

    /// Caps the arenas at `daemonDefault`, unless the operator chose (`MALLOC_ARENA_MAX`, or `GLIBC_TUNABLES`
    /// naming `glibc.malloc.arena_max`): to be called first thing, before the daemon starts its threads. Returns
    /// the cap set, or nil when the environment's choice stands or glibc refused.
    @discardableResult
    public static func limitForDaemon(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        if environment["MALLOC_ARENA_MAX"] != nil { return nil }
        if environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.arena_max") == true { return nil }
        return pb_malloc_arena_max(Int32(daemonDefault)) == 1 ? daemonDefault : nil
    }
}
