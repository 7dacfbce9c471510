/// An audio graph as written in `pipelines/*.yaml` (docs/pipelines.md): named nodes, link chains, the template
/// built once per WebRTC peer, and the taps plugins attach to. Every part remembers where it was written.
public struct GraphSpec: Sendable, Equatable {
    /// A place in the file (1-based).
    public struct Position: Sendable, Equatable {
        /// Line.
        public var line: Int
        /// Column.
        public var column: Int
    }

    /// A property setting.
    public struct Property: Sendable, Equatable {
        /// The property name.
        public var name: String
        /// Its value as text (variables already resolved).
        public var value: String
        /// Where the value was written.
        public var position: Position?
    }

    /// A named element.
    public struct Node: Sendable, Equatable {
        /// The node's name (used in links and taps).
        public var name: String
        /// The element factory.
        public var element: String
        /// Properties.
        public var properties: [Property]
        /// Where the element name was written.
        public var position: Position?
        /// `optional: true`: when the element cannot open (a sound server that is not there), the graph plays
        /// without it (a `fakesink`/silent source in its place) and says so, instead of refusing to start.
        public var optional = false
    }

    /// One item of a link chain.
    public enum ChainItem: Sendable, Equatable {
        /// A node of the graph.
        case node(String)
        /// An anonymous element with properties (`volume name=level`).
        case element(factory: String, properties: [Property])
        /// A caps filter (`audio/x-raw,rate=16000`).
        case caps(String)
    }

    /// A chain `a ! b ! c`.
    public struct Chain: Sendable, Equatable {
        /// The items in order, each with where it was written.
        public var items: [(ChainItem, Position?)]
        /// The chain as written.
        public var text: String

        public static func == (lhs: Chain, rhs: Chain) -> Bool {
            lhs.text == rhs.text && lhs.items.map(\.0) == rhs.items.map(\.0)
        }
    }

    /// The template built for each WebRTC peer.
    public struct Peer: Sendable, Equatable {
        /// webrtcbin properties.
        public var webrtc: [Property]
        /// Decoded audio from the peer to the graph (`rtpopusdepay ! opusdec ! … ! mix`).
        public var receive: Chain?
        /// The element name inside `receive` that is the per-peer tap (one track per speaker).
        public var tap: String?
        /// Where `tap` was written.
        public var tapPosition: Position?
        /// A chain built for each peer from its tap (`audioconvert ! wavenc ! filesink location=member-%{peer}.wav`):
        /// one output per speaker. `%{peer}`, `%{slot}` and `%{slot+N}` are filled in per peer (`PeerPlaceholders`).
        public var output: Chain?
    }

    /// The graph's name.
    public var name: String
    /// What it is for.
    public var description: String
    /// Nodes in file order.
    public var nodes: [Node]
    /// Link chains.
    public var links: [Chain]
    /// The per-peer template.
    public var peer: Peer?
    /// Taps: name → node, with where each was written.
    public var taps: [(name: String, node: String, position: Position?)]
    /// Session description files to write when the graph starts: `udpsink` node → file (`sdp:` in the graph).
    public var sdp: [(node: String, file: String, position: Position?)] = []

    public static func == (lhs: GraphSpec, rhs: GraphSpec) -> Bool {
        lhs.name == rhs.name && lhs.nodes == rhs.nodes && lhs.links == rhs.links && lhs.peer == rhs.peer
            && lhs.taps.map(\.name) == rhs.taps.map(\.name) && lhs.taps.map(\.node) == rhs.taps.map(\.node)
            && lhs.sdp.map(\.node) == rhs.sdp.map(\.node) && lhs.sdp.map(\.file) == rhs.sdp.map(\.file)
    }

    /// The node called `name`.
    public func node(_ name: String) -> Node? { nodes.first { $0.name == name } }
}
