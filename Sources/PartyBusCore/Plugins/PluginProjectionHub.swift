public import PartyBusPluginAPI
import Synchronization

/// The projections a host's plugin contexts read, attached once by whoever keeps them (the daemon: its party
/// projection). Core keeps none of its own: it knows no `party.*` event.
public final class PluginProjectionHub: Sendable {
    private let partyReader = Mutex<(any PartyProjectionReader)?>(nil)

    /// No projection attached yet.
    public init() {}

    /// The party projection, when attached.
    public var parties: (any PartyProjectionReader)? {
        get { partyReader.withLock { $0 } }
        set { partyReader.withLock { $0 = newValue } }
    }
}
