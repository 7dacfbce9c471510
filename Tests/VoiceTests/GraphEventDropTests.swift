import Foundation
import Testing
import Voice

/// A graph's events (level readings from GStreamer's bus, ICE states, first audio …) wait in a bounded buffer for
/// their consumer; one that falls behind loses the oldest, and every loss is counted.
@Suite("Voice graph events are bounded and drops counted", .serialized)
struct GraphEventDropTests {
    /// A live tone through a level meter posting every 10 ms (100 events a second).
    static let chattyGraph = """
        graph: chatty
        nodes:
          tone: { element: audiotestsrc, props: { is-live: true, samplesperbuffer: 441 } }
          out:  { element: fakesink, props: { sync: true } }
        links:
          - tone ! level name=meter interval=10000000 ! out
        """

    static func spec() throws -> GraphSpec {
        let (spec, problems) = try GraphParser(variables: [:]).parse(text: chattyGraph, file: "chatty.yaml")
        #expect(problems.isEmpty, "\(problems)")
        return spec
    }

    @Test("a consumer that does not read loses the oldest events beyond the capacity, and each one is counted")
    func unreadEventsAreDroppedAndCounted() async throws {
        let before = VoiceGraph.droppedEventsTotal
        let graph = try VoiceGraph(spec: Self.spec(), eventCapacity: 8)
        try await graph.start()
        // Nobody reads `events` while the meter posts: wait (not a timing assertion) until drops show.
        let deadline = ContinuousClock.now + .seconds(20)
        while graph.droppedEvents < 20, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        await graph.stop()
        let dropped = graph.droppedEvents
        #expect(dropped >= 20, "levels kept coming and the oldest were dropped")
        #expect(VoiceGraph.droppedEventsTotal >= before + dropped, "the process-wide count has them too")
        // What is left is at most the capacity, the newest, in order; then the stream ends.
        var left: [VoiceGraphEvent] = []
        for await event in graph.events { left.append(event) }
        #expect(left.count <= 8)
        #expect(left.contains { if case .level = $0 { true } else { false } })
    }

    @Test("a consumer that keeps up loses nothing")
    func keptUpLosesNothing() async throws {
        // Room for 10 s of readings: a reader that keeps up, even one the test process's other suites slow down
        // (64 was 0.64 s, and a busy 2-core run once left the reader behind that long).
        let graph = try VoiceGraph(spec: Self.spec(), eventCapacity: 1024)
        try await graph.start()
        var levels = 0
        for await event in graph.events {
            if case .level = event { levels += 1 }
            if levels >= 50 { break }
        }
        await graph.stop()
        #expect(levels >= 50)
        #expect(graph.droppedEvents == 0)
    }
}
