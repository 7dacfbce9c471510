import Foundation
import PartyBusTestSupport
import Testing

/// Issue 15 item 6: the product under faults, driven as a user drives it (`partybus sim`, `partybus up`, the CLI).
/// Each row injects one kind of fault, stops it, and then asserts the invariants of `MatrixInvariants`: party state
/// equal to the simulator's, no duplicate domain event, every acknowledged event in the log, `integrity_check` ok.
/// The rows are in files of their own (`FaultMatrixTests+…`); docs/faults.md describes the matrix.
@Suite("FaultMatrix", .serialized)
struct FaultMatrixTests {
    /// `actor` joins or leaves `sessionId` through the simulator's admin API, returning whether it is in the party now.
    @discardableResult
    static func toggle(_ actor: String, in sessionId: String, on simulator: SimulatorProcess, member: inout Set<String>) async throws -> Bool {
        if member.contains(actor) {
            try await simulator.act(actor, "leave", ["sessionId": sessionId])
            member.remove(actor)
            return false
        }
        try await simulator.act(actor, "join", ["sessionId": sessionId])
        member.insert(actor)
        return true
    }
}
