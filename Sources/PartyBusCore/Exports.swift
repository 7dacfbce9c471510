/// Core re-exports the plugin API: `Event`, `EventDraft`, `Plugin`, `Secret` … are part of the engine's API.
@_exported public import PartyBusPluginAPI
