import Foundation
import PartyBusPluginAPI

/// A webhook's options (`options:` of its `plugins:` entry), checked once at start with errors naming the key.
struct WebhookOptions: Sendable {
    /// Where events are POSTed (http or https).
    var url: URL
    /// The shared signing secret; never logged, never published.
    var secret: Secret
    /// Tries per event before it becomes a dead letter.
    var maxAttempts: Int
    /// First retry delay; doubles per try up to `retryMax`.
    var retryMin: Duration
    /// Longest retry delay.
    var retryMax: Duration
    /// Longest one request may take.
    var timeout: Duration
    /// Events waiting for delivery before new ones are dropped (and counted).
    var queueCapacity: Int
    /// Extra request headers.
    var headers: [String: String]

    /// The options as written in YAML.
    private struct Raw: Decodable {
        var url: String?
        var secret: Secret?
        var secretFile: String?
        var maxAttempts: Int?
        var retryMinMs: Int?
        var retryMaxMs: Int?
        var timeoutMs: Int?
        var queueCapacity: Int?
        var headers: [String: String]?

        enum CodingKeys: String, CodingKey {
            case url, secret, headers
            case secretFile = "secret_file"
            case maxAttempts = "max_attempts"
            case retryMinMs = "retry_min_ms"
            case retryMaxMs = "retry_max_ms"
            case timeoutMs = "timeout_ms"
            case queueCapacity = "queue_capacity"
        }
    }

    /// Decodes and checks the options; `base` resolves a relative `secret_file`.
    init(_ options: PluginOptions, plugin: String, base: URL? = nil) throws {
        let raw = try options.decode(Raw.self, plugin: plugin)
        func problem(_ text: String) -> PluginError { PluginError("plugin '\(plugin)': options.\(text)") }
        guard let text = raw.url, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host?.isEmpty == false
        else { throw problem("url must be an http:// or https:// URL with a host") }
        self.url = url
        switch (raw.secret, raw.secretFile) {
        case (.some, .some):
            throw problem("secret and options.secret_file are both set; use one")
        case (let secret?, nil):
            self.secret = secret
        case (nil, let file?):
            var path = file
            if !file.hasPrefix("/"), let base { path = base.appendingPathComponent(file).path }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw problem("secret_file: cannot read \(path)")
            }
            self.secret = Secret(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        case (nil, nil):
            throw problem("secret (or options.secret_file) is required: deliveries are signed with it")
        }
        guard !secret.isEmpty, !secret.isRedacted else { throw problem("secret must not be empty") }
        maxAttempts = raw.maxAttempts ?? 5
        guard (1...100).contains(maxAttempts) else { throw problem("max_attempts must be 1…100") }
        let minMs = raw.retryMinMs ?? 1000
        let maxMs = raw.retryMaxMs ?? 60_000
        guard minMs >= 1 else { throw problem("retry_min_ms must be ≥ 1") }
        guard maxMs >= minMs else { throw problem("retry_max_ms must be ≥ retry_min_ms") }
        retryMin = .milliseconds(minMs)
        retryMax = .milliseconds(maxMs)
        let timeoutMs = raw.timeoutMs ?? 10_000
        guard (1...600_000).contains(timeoutMs) else { throw problem("timeout_ms must be 1…600000") }
        timeout = .milliseconds(timeoutMs)
        queueCapacity = raw.queueCapacity ?? 1000
        guard (1...1_000_000).contains(queueCapacity) else { throw problem("queue_capacity must be 1…1000000") }
        headers = raw.headers ?? [:]
        for name in headers.keys where name.lowercased().hasPrefix("partybus-") || name.lowercased() == "content-type" {
            throw problem("headers: '\(name)' is set by the webhook itself")
        }
    }

    /// The URL without user, password or query (those may carry credentials): what logs and events show.
    var shownURL: String {
        var parts = URLComponents(url: url, resolvingAgainstBaseURL: false)
        parts?.user = nil
        parts?.password = nil
        parts?.query = nil
        parts?.fragment = nil
        return parts?.string ?? "\(url.scheme ?? "http")://\(url.host ?? "?")"
    }
}
