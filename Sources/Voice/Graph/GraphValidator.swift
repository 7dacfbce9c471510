import CGStreamer
import Foundation
public import PartyBusCore
import Synchronization

/// GStreamer's initialisation and its registry's first plugin loads are not safe to race: one lock for all
/// registry queries of this process, and initialisation exactly once.
enum GStreamerRegistry {
    private static let initialised: Void = { pb_gst_init() }()
    private static let lock = Mutex(())

    /// Runs `body` with GStreamer initialised and the registry to itself.
    static func withRegistry<T>(_ body: () -> T) -> T {
        _ = initialised
        return lock.withLock { _ in body() }
    }
}

/// Checks a `GraphSpec` against the GStreamer registry of this machine: every element exists, every property
/// exists, is writable and takes the value given, caps parse, links go from something with source pads to
/// something with sink pads, node references and taps resolve. Each problem is a diagnostic at its place.
public struct GraphValidator: Sendable {
    /// The file name used in diagnostics.
    public var file: String

    /// A validator for `file`.
    public init(file: String) {
        self.file = file
    }

    /// The taps every graph must have (plugins such as the recorder attach there).
    public static let requiredTaps = ["party-mix"]

    /// Every problem in `spec` (empty when it is good).
    public func validate(_ spec: GraphSpec) -> [ConfigDiagnostic] {
        GStreamerRegistry.withRegistry { validateLocked(spec) }
    }

    private func validateLocked(_ spec: GraphSpec) -> [ConfigDiagnostic] {
        var problems: [ConfigDiagnostic] = []
        func report(_ position: GraphSpec.Position?, _ message: String) {
            problems.append(ConfigDiagnostic(file: file, line: position?.line, column: position?.column, message: message))
        }
        var names = Set<String>()
        for node in spec.nodes {
            if !names.insert(node.name).inserted { report(node.position, "node '\(node.name)' is defined twice") }
            check(factory: node.element, properties: node.properties, at: node.position, context: "nodes.\(node.name)", report: report)
        }
        var chains = spec.links.map { ("links", $0) }
        if let receive = spec.peer?.receive { chains.append(("peer.receive", receive)) }
        if let output = spec.peer?.output {
            // Checked as the first peer would get it; it is built inside each peer's bin, so it cannot reach nodes.
            chains.append(("peer.output", PeerPlaceholders.fill(output, peer: "peer", slot: 0)))
            for (item, position) in output.items {
                if case .node(let name) = item, spec.node(name) != nil {
                    report(position, "peer.output: '\(name)' is a node of the graph; a per-peer output is built inside each peer and ends in its own sink")
                }
            }
            if spec.peer?.receive == nil { report(output.items.first?.1, "peer.output: needs peer.receive (the output is fed from the peer's decoded audio)") }
        }
        for (context, chain) in chains {
            if chain.items.count < 2 { report(chain.items.first?.1, "\(context): '\(chain.text)' links nothing (write a ! b)") }
            var previous: (factory: String?, position: GraphSpec.Position?)?
            for (item, position) in chain.items {
                let factory: String?
                switch item {
                case .node(let name):
                    if let node = spec.node(name) {
                        factory = node.element
                    } else if factoryExists(name) {
                        factory = name
                    } else {
                        let hint = ConfigSchema.closest(to: name, in: spec.nodes.map(\.name) + Self.factoryNames)
                            .map { " (did you mean '\($0)'?)" } ?? ""
                        report(position, "\(context): '\(name)' is neither a node of this graph nor an element\(hint)")
                        factory = nil
                    }
                case .element(let name, let properties):
                    check(factory: name, properties: properties, at: position, context: context, report: report)
                    factory = factoryExists(name) ? name : nil
                case .caps(let caps):
                    if pb_caps_valid(caps) == 0 { report(position, "\(context): '\(caps)' is not valid caps") }
                    factory = nil
                }
                if let previousFactory = previous?.factory, let factory {
                    if !hasPads(previousFactory, direction: GST_PAD_SRC) {
                        report(previous?.position, "\(context): '\(previousFactory)' has no output, so it cannot be linked to '\(factory)'")
                    }
                    if !hasPads(factory, direction: GST_PAD_SINK) {
                        report(position, "\(context): '\(factory)' has no input, so '\(previousFactory)' cannot be linked to it")
                    }
                }
                if case .caps = item, let previousFactory = previous?.factory, !hasPads(previousFactory, direction: GST_PAD_SRC) {
                    report(previous?.position, "\(context): '\(previousFactory)' has no output to filter")
                }
                previous = (factory ?? (item.isCaps ? previous?.factory : nil), position)
            }
        }
        if let peer = spec.peer {
            check(factory: "webrtcbin", properties: peer.webrtc, at: peer.webrtc.first?.position, context: "peer.webrtc", report: report)
            if let tap = peer.tap {
                let named = peer.receive?.items.contains { item, _ in
                    if case .element(_, let properties) = item { return properties.contains { $0.name == "name" && $0.value == tap } }
                    return false
                } ?? false
                if !named { report(peer.tapPosition, "peer.tap: no element named '\(tap)' in peer.receive (add name=\(tap))") }
            }
        }
        for problem in SRTListenerRule.problems(spec) { report(problem.position, problem.message) }
        for entry in spec.sdp where spec.node(entry.node)?.element != "udpsink" {
            report(entry.position, "sdp.\(entry.node): no udpsink node '\(entry.node)' (the .sdp file describes what a udpsink sends)")
        }
        for tap in spec.taps where spec.node(tap.node) == nil {
            report(tap.position, "taps.\(tap.name): no node '\(tap.node)'")
        }
        for required in Self.requiredTaps where !spec.taps.contains(where: { $0.name == required }) {
            report(nil, "missing tap '\(required)' (plugins such as the recorder attach there)")
        }
        return problems.sorted { ($0.line ?? 0, $0.column ?? 0) < ($1.line ?? 0, $1.column ?? 0) }
    }

    private func factoryExists(_ name: String) -> Bool {
        guard let factory = gst_element_factory_find(name) else { return false }
        gst_object_unref(UnsafeMutableRawPointer(factory))
        return true
    }

    private func hasPads(_ name: String, direction: GstPadDirection) -> Bool {
        guard let factory = gst_element_factory_find(name) else { return true }
        defer { gst_object_unref(UnsafeMutableRawPointer(factory)) }
        return pb_factory_has_pads(factory, Int32(direction.rawValue)) != 0
    }

    /// Checks one element and its properties against the registry.
    private func check(
        factory name: String, properties: [GraphSpec.Property], at position: GraphSpec.Position?, context: String,
        report: (GraphSpec.Position?, String) -> Void
    ) {
        guard let element = pb_make_element(name) else {
            let hint = ConfigSchema.closest(to: name, in: Self.factoryNames).map { " (did you mean '\($0)'?)" } ?? ""
            report(position, "\(context): unknown element '\(name)'\(hint)")
            return
        }
        defer { pb_release_element(element) }
        for property in properties where property.name != "name" {
            guard let spec = pb_find_property(element, property.name) else {
                report(property.position ?? position, "\(context): element '\(name)' has no property '\(property.name)'")
                continue
            }
            if pb_param_writable(spec) == 0 {
                report(property.position ?? position, "\(context): property '\(property.name)' of '\(name)' is read-only")
                continue
            }
            if let problem = Self.check(value: property.value, for: spec) {
                report(property.position ?? position, "\(context): \(name).\(property.name): \(problem)")
            }
        }
    }

    /// Whether `value` fits the property; returns what is wrong, or nil.
    static func check(value: String, for spec: UnsafeMutablePointer<GParamSpec>) -> String? {
        var minimum = 0.0
        var maximum = 0.0
        let ranged = pb_param_range(spec, &minimum, &maximum) != 0
        switch Int(pb_param_kind(spec)) {
        case Int(PB_PARAM_BOOL):
            return ["true", "false", "yes", "no", "1", "0"].contains(value.lowercased()) ? nil : "expected true or false, found '\(value)'"
        case Int(PB_PARAM_INT), Int(PB_PARAM_UINT):
            guard let number = Int64(value) ?? (Int(PB_PARAM_UINT) == Int(pb_param_kind(spec)) ? UInt64(value).map { Int64(clamping: $0) } : nil) else {
                return "expected an integer, found '\(value)'"
            }
            if ranged && (Double(number) < minimum || Double(number) > maximum) {
                return "\(number) is out of range \(Int64(minimum))…\(maximum >= 1.8e19 ? "max" : String(Int64(maximum)))"
            }
            return nil
        case Int(PB_PARAM_FLOAT):
            guard let number = Double(value) else { return "expected a number, found '\(value)'" }
            if ranged && (number < minimum || number > maximum) { return "\(number) is out of range \(minimum)…\(maximum)" }
            return nil
        case Int(PB_PARAM_ENUM):
            if pb_param_enum_accepts(spec, value) != 0 || Int(value) != nil { return nil }
            let nicks = pb_param_enum_nicks(spec)
            defer { g_free(nicks) }
            return "'\(value)' is not one of \(nicks.map { String(cString: $0) } ?? "")"
        case Int(PB_PARAM_CAPS):
            return pb_caps_valid(value) != 0 ? nil : "'\(value)' is not valid caps"
        default:
            return nil
        }
    }

    /// Every element factory name of this machine (for "did you mean").
    /// Only read while the registry lock is held (from `validateLocked`), so its initialiser must not lock.
    static let factoryNames: [String] = factoryNamesLocked()

    private static func factoryNamesLocked() -> [String] {
        guard let names = pb_factory_names() else { return [] }
        defer { g_free(names) }
        return String(cString: names).split(separator: "\n").map(String.init)
    }
}

extension GraphSpec.ChainItem {
    var isCaps: Bool {
        if case .caps = self { return true }
        return false
    }
}
