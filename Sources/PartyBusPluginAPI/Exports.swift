/// Plugins log with swift-log's `Logger` (their context hands them one); re-exported so they need no extra import.
@_exported public import Logging
