import Foundation
public import PartyBusCore

#if canImport(Glibc)
import Glibc
#endif

/// The `psn:` configuration section (key names as psn-protocol.md §0.2 gives them).
public struct PSNSettings: Sendable, Codable, Equatable {
    /// OAuth client id (default: the public native Android app id).
    public var clientId: String
    /// OAuth client secret; required for the token endpoint; from config or `PARTYBUS_PSN__CLIENT_SECRET`.
    public var clientSecret: Secret?
    /// OAuth redirect URI.
    public var redirectUri: String
    /// Sony single-sign-on cookie value for headless sign-in (optional; `partybus login` reads it otherwise).
    public var npsso: Secret?
    /// Stable per-install device id (hex); generated once and stored in the data folder when empty.
    public var duid: String
    /// User-Agent strings per HTTP stack.
    public var userAgent: UserAgents
    /// App version (`x-psn-app-ver`, push headers).
    public var appVersion: String
    /// Locale, e.g. en-US.
    public var locale: String
    /// Country, e.g. US.
    public var country: String
    /// Every base URL (tests and the simulator point them at loopback).
    public var urls: URLs
    /// Allow `http://` and `ws://` to loopback hosts (tests, the built-in simulator). Never other hosts.
    public var allowInsecureLoopback: Bool
    /// A CA bundle to trust (tests with their own CA).
    public var caFile: String
    /// Least time between two automated calls to the same endpoint, in ms.
    public var throttleMs: Int64
    /// First retry delay after a 5xx or network error, in ms (then doubled; at most 3 tries).
    public var retryBaseMs: Int64
    /// `X-PSN-RTC-TITLE-ID` of rtcBridge calls (C); nil means `METROPOL_AND`, the Android app's.
    public var rtcTitleId: String?
    /// The client-side rate limit every process of the data folder shares (F.4: 300 requests per 15 minutes).
    public var rateLimit: RateLimit

    /// At most `requests` authenticated API calls per `windowSeconds`, counted in `<data>/ratelimit.sqlite`
    /// across processes; 0 in either turns the limit off (e.g. for the built-in simulator).
    public struct RateLimit: Sendable, Codable, Equatable {
        /// Requests per window (`psn.rateLimit.requests`).
        public var requests: Int
        /// The window in seconds (`psn.rateLimit.windowSeconds`).
        public var windowSeconds: Int

        /// A limit.
        public init(requests: Int, windowSeconds: Int) {
            self.requests = requests
            self.windowSeconds = windowSeconds
        }

        /// 300 per 900 s, as the community wrapper keeps it (F.4).
        public static let defaults = RateLimit(requests: 300, windowSeconds: 900)
        /// Largest accepted `requests`.
        public static let requestsRange: ClosedRange<Int64> = 0...1_000_000
        /// Largest accepted `windowSeconds` (one day).
        public static let windowRange: ClosedRange<Int64> = 0...86_400

        /// True when both are above zero.
        public var isEnabled: Bool { requests > 0 && windowSeconds > 0 }
    }

    /// User agents of the two HTTP stacks and the OAuth calls (F.1).
    public struct UserAgents: Sendable, Codable, Equatable {
        /// Core stack.
        public var core: String
        /// okhttp stack.
        public var okhttp: String
        /// OAuth token requests.
        public var oauth: String
        /// Browser string for the npsso authorize request (A.3).
        public var browser: String

        /// All four strings.
        public init(core: String, okhttp: String, oauth: String, browser: String) {
            self.core = core
            self.okhttp = okhttp
            self.oauth = oauth
            self.browser = browser
        }
    }

    /// Base URLs (§0.3).
    public struct URLs: Sendable, Codable, Equatable {
        /// OAuth authorize/token base, ending in `/oauth/`.
        public var auth: String
        /// Mobile API base (sessionManager, rtcBridge, userProfile, cpss).
        public var api: String
        /// Own account id endpoint.
        public var accountsMe: String
        /// Push bootstrap (serveraddr).
        public var pushServerAddr: String
        /// Web party info base (ends in `/partyInfo/`).
        public var partyInfo: String
        /// Party share link base.
        public var partyLink: String

        /// Every base URL.
        public init(auth: String, api: String, accountsMe: String, pushServerAddr: String, partyInfo: String, partyLink: String) {
            self.auth = auth
            self.api = api
            self.accountsMe = accountsMe
            self.pushServerAddr = pushServerAddr
            self.partyInfo = partyInfo
            self.partyLink = partyLink
        }

        /// Every base URL on one server (the simulator), e.g. `http://127.0.0.1:8080`.
        public static func allOn(_ base: String) -> URLs {
            URLs(
                auth: base + "/api/authz/v3/oauth/", api: base + "/api", accountsMe: base + "/api/v1/devices/accounts/me",
                pushServerAddr: base + "/np/serveraddr", partyInfo: base + "/api/cpss/v1/partyInfo/",
                partyLink: base + "/party/")
        }
    }

    /// The defaults of psn-protocol.md.
    public static let defaults = PSNSettings(
        clientId: "09515159-7237-4370-9b40-3806e67c0891", clientSecret: nil,
        redirectUri: "com.scee.psxandroid.scecompcall://redirect", npsso: nil, duid: "",
        userAgent: UserAgents(
            core: "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7 Build/UQ1A.240205.002)", okhttp: "okhttp/4.12.0",
            oauth: "com.sony.snei.np.android.sso.share.oauth.versa.USER_AGENT",
            browser: "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"),
        appVersion: "26.1.0", locale: "en-US", country: "US",
        urls: URLs(
            auth: "https://ca.account.sony.com/api/authz/v3/oauth/", api: "https://m.np.playstation.com/api",
            accountsMe: "https://dms.api.playstation.com/api/v1/devices/accounts/me",
            pushServerAddr: "https://mobile-pushcl.np.communication.playstation.net/np/serveraddr",
            partyInfo: "https://web.np.playstation.com/api/cpss/v1/partyInfo/",
            partyLink: "https://party.playstation.com/"),
        allowInsecureLoopback: false, caFile: "", throttleMs: 1000, retryBaseMs: 1000, rtcTitleId: nil,
        rateLimit: .defaults)

    /// The config schema of the section, with these defaults.
    public static var schema: ConfigSchema {
        let d = defaults
        return .object([
            ("clientId", .string(default: d.clientId)),
            ("clientSecret", .string(default: nil)),
            ("redirectUri", .string(default: d.redirectUri)),
            ("npsso", .string(default: nil)),
            ("duid", .string(default: "")),
            ("userAgent", .object([
                ("core", .string(default: d.userAgent.core)), ("okhttp", .string(default: d.userAgent.okhttp)),
                ("oauth", .string(default: d.userAgent.oauth)), ("browser", .string(default: d.userAgent.browser)),
            ])),
            ("appVersion", .string(default: d.appVersion)),
            ("locale", .string(default: d.locale)),
            ("country", .string(default: d.country)),
            ("urls", .object([
                ("auth", .string(default: d.urls.auth)), ("api", .string(default: d.urls.api)),
                ("accountsMe", .string(default: d.urls.accountsMe)),
                ("pushServerAddr", .string(default: d.urls.pushServerAddr)),
                ("partyInfo", .string(default: d.urls.partyInfo)), ("partyLink", .string(default: d.urls.partyLink)),
            ])),
            ("allowInsecureLoopback", .bool(default: false)),
            ("caFile", .string(default: "")),
            ("throttleMs", .int(default: d.throttleMs, range: 0...600_000)),
            ("retryBaseMs", .int(default: d.retryBaseMs, range: 0...600_000)),
            ("rtcTitleId", .string(default: "METROPOL_AND")),
            ("rateLimit", .object([
                ("requests", .int(default: Int64(d.rateLimit.requests), range: RateLimit.requestsRange)),
                ("windowSeconds", .int(default: Int64(d.rateLimit.windowSeconds), range: RateLimit.windowRange)),
            ])),
        ])
    }

    /// Reads the section from a loaded configuration.
    public static func from(_ config: PartyBusConfig) throws -> PSNSettings {
        let json = config.sections["psn"] ?? .object([:])
        return try JSONDecoder().decode(PSNSettings.self, from: JSONEncoder().encode(json))
    }

    /// Checks what the config schema checks for settings made in code: `psn.rateLimit.*` within range.
    public func validateRateLimit() throws {
        for (name, value, range) in [
            ("requests", rateLimit.requests, RateLimit.requestsRange),
            ("windowSeconds", rateLimit.windowSeconds, RateLimit.windowRange),
        ] where !range.contains(Int64(value)) {
            throw PSNError.configuration(
                "psn.rateLimit.\(name): \(value) is out of range \(range.lowerBound)…\(range.upperBound) (0 turns the limit off)")
        }
    }

    /// Checks every base URL: https, or http/ws to a loopback host when `allowInsecureLoopback` is set.
    public func validateURLs() throws {
        for (name, value) in [
            ("auth", urls.auth), ("api", urls.api), ("accountsMe", urls.accountsMe),
            ("pushServerAddr", urls.pushServerAddr), ("partyInfo", urls.partyInfo),
        ] {
            try PSNSettings.checkTransport(value, name: "psn.urls.\(name)", allowInsecureLoopback: allowInsecureLoopback)
        }
    }

    /// Throws unless `url` is https (or wss), or http (ws) to loopback with the switch on.
    public static func checkTransport(_ url: String, name: String, allowInsecureLoopback: Bool) throws {
        guard let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(), let host = parsed.host
        else { throw PSNError.configuration("\(name): '\(url)' is not a URL") }
        if scheme == "https" || scheme == "wss" { return }
        guard scheme == "http" || scheme == "ws" else {
            throw PSNError.configuration("\(name): scheme '\(scheme)' is not allowed")
        }
        guard allowInsecureLoopback, isLoopback(host) else {
            throw PSNError.configuration(
                "\(name): plain \(scheme) is only allowed to a loopback host with psn.allowInsecureLoopback: true")
        }
    }

    /// True only for real loopback: an IPv4 literal in 127.0.0.0/8 (four decimal octets, as `inet_pton` reads
    /// them), the IPv6 literal `::1` (bracketed or not), or the name `localhost` (any case). A name that merely
    /// starts with `127.` (`127.attacker.example`) is not loopback.
    public static func isLoopback(_ host: String) -> Bool { LoopbackAddress.contains(host) }
}
