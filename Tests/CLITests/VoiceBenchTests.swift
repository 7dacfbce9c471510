import Foundation
import PartyBusTestSupport
import Testing

/// `partybus bench voice` run as a user runs it: a party of 15 remote members (a child simulator's media members, a
/// tone each), every one of them heard at every step. No timing is asserted: the figures depend on the machine.
@Suite("bench voice", .serialized)
struct VoiceBenchTests {
    @Test("--members 15 with a short window: a row for 1, 4 and 15 members, every member heard")
    func fifteenMembersHeard() throws {
        let run = try PartybusProcess.run(["bench", "voice", "--members", "15", "--seconds", "2", "--no-latency"])
        #expect(run.status == 0, "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
        // Each row: members | CPU | RSS | context switches/s | heard | margin | sim % | load | ref ms.
        let rows = run.stdout.split(separator: "\n").compactMap { line -> (members: Int, heard: String, cpu: Double, rss: Double, reference: Double?)? in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 9, let members = Int(cells[0]), let cpu = Double(cells[1]), let rss = Double(cells[2]) else { return nil }
            return (members, cells[4], cpu, rss, Double(cells[8]))
        }
        #expect(rows.map(\.members) == [1, 4, 15], "\(run.stdout)")
        for row in rows {
            #expect(row.heard == "\(row.members)/\(row.members)", "\(run.stdout)")
            #expect(row.cpu > 0 && row.rss > 0, "measured something: \(run.stdout)")
            #expect((row.reference ?? 0) > 0, "the host reference ran before the window: \(run.stdout)")
        }
        #expect(run.stdout.contains("every member heard at every step"), "\(run.stdout)")
        #expect(!run.stdout.contains("NOT HEARD"), "\(run.stdout)")
    }

    @Test("--graph: the table runs our side on the given graph (here a mono mix), every member heard")
    func givenGraph() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("voicebench-graph-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let graph = folder.appendingPathComponent("mono.yaml")
        try """
            graph: bench-mono
            nodes:
              mic:  { element: audiotestsrc, props: { wave: sine, freq: 1000, is-live: true, volume: 0.3, samplesperbuffer: 960 } }
              enc:  { element: opusenc, props: { bitrate: 40000, frame-size: 40, inband-fec: true, audio-type: voice } }
              pay:  { element: rtpopuspay, props: { pt: 111 } }
              send: { element: tee, props: { allow-not-linked: true } }
              mix:  { element: audiomixer }
              out:  { element: fakesink, props: { sync: true } }
            links:
              - mic ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! volume name=mute ! level name=micmeter interval=100000000 ! enc ! pay ! send
              - mix ! audio/x-raw,rate=48000,channels=1 ! audioconvert ! out
            peer:
              webrtc: { bundle-policy: max-bundle, latency: 40 }
              receive: rtpopusdepay ! opusdec ! audioconvert ! audioresample ! volume name=level ! mix
              tap: level
            taps: { party-mix: mix, mic: send }
            """.write(to: graph, atomically: true, encoding: .utf8)
        let run = try PartybusProcess.run(["bench", "voice", "--members", "2", "--seconds", "1", "--no-latency", "--graph", graph.path])
        #expect(run.status == 0, "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)")
        let heard = run.stdout.split(separator: "\n").compactMap { line -> String? in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            return cells.count == 9 && Int(cells[0]) != nil ? cells[4] : nil
        }
        #expect(heard == ["1/1", "2/2"], "\(run.stdout)")
        #expect(run.stdout.contains("every member heard at every step"), "\(run.stdout)")
    }

    @Test("--graph naming a file that cannot be read or is no graph: refused, saying which")
    func badGraph() throws {
        let missing = try PartybusProcess.run(["bench", "voice", "--members", "1", "--no-latency", "--graph", "/nonexistent/party.yaml"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("--graph") && missing.stderr.contains("/nonexistent/party.yaml"), "\(missing.stderr)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("voicebench-badgraph-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let garbage = folder.appendingPathComponent("garbage.yaml")
        try "graph: [this is: not a graph".write(to: garbage, atomically: true, encoding: .utf8)
        let bad = try PartybusProcess.run(["bench", "voice", "--members", "1", "--no-latency", "--graph", garbage.path])
        #expect(bad.status != 0)
        #expect(!bad.stderr.isEmpty && !bad.stderr.contains("Fatal error"), "\(bad.stderr)")
    }

    @Test("--members outside 1…15 is refused with what was wrong")
    func badMembers() throws {
        for bad in ["0", "16", "1,x", ""] {
            let run = try PartybusProcess.run(["bench", "voice", "--members", bad, "--no-latency"])
            #expect(run.status != 0, "\(bad)")
            #expect(run.stderr.contains("--members"), "\(bad): \(run.stderr)")
        }
    }
}
