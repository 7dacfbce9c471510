import PartyBusCore

/// An SRT listener (`srtsink mode=listener`) that anyone beyond this machine can reach must be encrypted: bound to
/// a non-loopback address (or to every address, the default) it needs a `passphrase` of 10–79 characters, or the
/// party is readable by whoever finds the port. Loopback listeners may go without.
enum SRTListenerRule {
    /// Each listener that breaks the rule, with where it was written.
    static func problems(_ spec: GraphSpec) -> [(position: GraphSpec.Position?, message: String)] {
        var out: [(GraphSpec.Position?, String)] = []
        func check(_ context: String, _ properties: [GraphSpec.Property], at position: GraphSpec.Position?) {
            let value = { (name: String) in properties.first { $0.name == name }?.value }
            guard value("mode") == "listener" || value("mode") == "2" else { return }
            let passphrase = value("passphrase") ?? ""
            let address = value("localaddress") ?? ""
            if !passphrase.isEmpty && !(10...79).contains(passphrase.count) {
                out.append((position, "\(context): an SRT passphrase has 10 to 79 characters (this one has \(passphrase.count))"))
            } else if passphrase.isEmpty && !LoopbackAddress.contains(address) {
                let bound = address.isEmpty ? "every address" : address
                out.append((position, "\(context): an SRT listener on \(bound) needs a passphrase (10–79 characters), or anyone who reaches the port hears the party; bind it to 127.0.0.1 or set one"))
            }
        }
        for node in spec.nodes where node.element == "srtsink" {
            check("nodes.\(node.name)", node.properties, at: node.position)
        }
        if let output = spec.peer?.output {
            for (item, position) in output.items {
                if case .element("srtsink", let properties) = item { check("peer.output", properties, at: position) }
            }
        }
        return out
    }
}
