import CGStreamer
import Dispatch
import Foundation

/// Before a graph is built, each node that is an audio device (its element class says `Sink/Audio` or
/// `Source/Audio`, e.g. `autoaudiosink`, `pulsesink`, `alsasrc`; test sources excepted) or that is marked
/// `optional: true` is tried on its own: sinks as far as READY, where they connect; sources played until their
/// first buffer (at most 500 ms), since one that opens but cannot capture stalls the pipeline's clock. A node that
/// cannot open is replaced — a sink by `fakesink`, a source by a silent live `audiotestsrc` — and an auto-detecting
/// sink that fell back to `fakesink` is kept; each is reported as a `GraphDegradation` instead of the graph
/// pretending (or refusing to start).
public enum DeviceCheck {
    /// The outcome: the spec to build (replacements made), what degraded, and which nodes are devices (an error
    /// from one of them while playing is a degradation too, not a graph failure).
    public struct Result: Sendable {
        /// The spec to build.
        public var spec: GraphSpec
        /// What runs without its device.
        public var degradations: [GraphDegradation]
        /// The device nodes (and optional ones).
        public var deviceNodes: Set<String>
    }

    /// Factories that are audio sources or sinks by class but never need a device.
    static let deviceless: Set<String> = ["audiotestsrc", "fakeaudiosink", "fakesink", "fakesrc", "appsink", "appsrc"]
    /// What an auto-detecting bin puts inside when it found nothing it could open.
    static let fakes: Set<String> = ["fakesink", "fakesrc", "fakeaudiosink"]

    /// Checks `spec`'s devices on a dispatch thread (opening a device blocks).
    public static func run(_ spec: GraphSpec) async -> Result {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: runBlocking(spec)) }
        }
    }

    /// The same, on the calling thread.
    public static func runBlocking(_ spec: GraphSpec) -> Result {
        var out = spec
        var degradations: [GraphDegradation] = []
        var devices: Set<String> = []
        for (index, node) in spec.nodes.enumerated() {
            let klass = GStreamerRegistry.withRegistry { pb_factory_klass(node.element) }.map { text in
                defer { g_free(text) }
                return String(cString: text)
            } ?? ""
            let isDevice = !deviceless.contains(node.element) && klass.contains("Audio")
                && (klass.contains("Sink") || klass.contains("Source"))
            guard isDevice || node.optional else { continue }
            devices.insert(node.name)
            let description = ([node.element, "name=\(node.name)"] + node.properties.map(LaunchDescription.assignment))
                .joined(separator: " ")
            var kid: UnsafeMutablePointer<CChar>?
            var message: UnsafeMutablePointer<CChar>?
            let role = Role(factory: node.element, klass: klass)
            // Sinks connect at READY. Sources are played until their first buffer (at most 500 ms): one that opens
            // but cannot capture would stall the pipeline's clock, which audio sources provide.
            let opened = GStreamerRegistry.withRegistry {
                role == .source
                    ? pb_probe_source(description, node.name, 500, &kid, &message)
                    : pb_probe_device(description, &kid, &message)
            } != 0
            let kidFactory = kid.map { String(cString: $0) }
            let said = message.map { String(cString: $0) }
            g_free(kid)
            g_free(message)
            if opened, let kidFactory, fakes.contains(kidFactory) {
                // A fake source has no audio caps: silence takes its place. A fake sink is kept (it is one).
                if role == .source { out.nodes[index] = role.replacement(for: node) }
                degradations.append(GraphDegradation(
                    node: node.name, element: node.element,
                    reason: "\(node.element) found no \(role.device) it could open (no sound server or sound card)"
                        + (said.map { ": \($0)" } ?? "") + "; it fell back to \(kidFactory), so \(role.consequence)",
                    fallback: role == .source ? role.fallback : kidFactory))
            } else if !opened {
                out.nodes[index] = role.replacement(for: node)
                degradations.append(GraphDegradation(
                    node: node.name, element: node.element,
                    reason: "\(node.element) could not open its \(role.device)" + (said.map { " (\($0))" } ?? "")
                        + "; the graph runs without it, so \(role.consequence)",
                    fallback: role.fallback))
            }
        }
        return Result(spec: out, degradations: degradations, deviceNodes: devices)
    }

    /// What a node is to the graph, by its pads and class.
    enum Role {
        case sink, source, filter

        init(factory: String, klass: String) {
            func has(_ direction: GstPadDirection) -> Bool {
                GStreamerRegistry.withRegistry {
                    guard let found = gst_element_factory_find(factory) else { return false }
                    defer { gst_object_unref(UnsafeMutableRawPointer(found)) }
                    return pb_factory_has_pads(found, Int32(direction.rawValue)) != 0
                }
            }
            let inputs = has(GST_PAD_SINK), outputs = has(GST_PAD_SRC)
            self = inputs && outputs ? .filter : inputs ? .sink : .source
        }

        var device: String {
            switch self {
            case .sink: "audio output"
            case .source: "audio input"
            case .filter: "device"
            }
        }

        var consequence: String {
            switch self {
            case .sink: "what it should play is discarded"
            case .source: "it sends silence"
            case .filter: "audio passes through unchanged"
            }
        }

        var fallback: String {
            switch self {
            case .sink: "fakesink"
            case .source: "silence"
            case .filter: "identity"
            }
        }

        func replacement(for node: GraphSpec.Node) -> GraphSpec.Node {
            var replaced = node
            switch self {
            case .sink:
                replaced.element = "fakesink"
                replaced.properties = [.init(name: "sync", value: "true", position: nil), .init(name: "async", value: "false", position: nil)]
            case .source:
                replaced.element = "audiotestsrc"
                replaced.properties = [.init(name: "wave", value: "silence", position: nil), .init(name: "is-live", value: "true", position: nil)]
            case .filter:
                replaced.element = "identity"
                replaced.properties = []
            }
            return replaced
        }
    }
}
