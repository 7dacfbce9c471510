import Foundation
@testable import PartyBusDaemon
import PartyBusCore
import Testing

/// The web UI's files as the daemon serves them, and the event stream's `?access_token=`.
@Suite("Web UI: files, security headers, token in the stream's query")
struct WebUIServingTests {
    static let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/PartyBusDaemon/WebUI/Assets").standardized

    @Test("/ is index.html, /ui/<file> a file, anything else nothing; each with its media type")
    func paths() throws {
        let ui = WebUI.load(from: [Self.assets])
        #expect(ui.asset(for: "/")?.contentType == "text/html; charset=utf-8")
        #expect(ui.asset(for: "/ui/app.js")?.contentType == "text/javascript; charset=utf-8")
        #expect(ui.asset(for: "/ui/style.css")?.contentType == "text/css; charset=utf-8")
        #expect(ui.asset(for: "/ui/icon.svg")?.contentType == "image/svg+xml")
        for path in ["/ui/../Package.swift", "/ui/nope.js", "/v1/status", "/index.html", "/ui/%2e%2e/x", "/ui//app.js"] {
            #expect(ui.asset(for: path) == nil, "\(path)")
        }
        #expect(WebUI.isUIPath("/") && WebUI.isUIPath("/ui/app.js") && !WebUI.isUIPath("/v1/status"))
        let missing = WebUI.load(from: [URL(fileURLWithPath: "/nonexistent")])
        #expect(missing.assets.isEmpty)
        #expect(missing.asset(for: "/") == nil)
    }

    @Test("the built resources are found beside the executable")
    func bundled() {
        #expect(WebUI.shared.assets["index.html"] != nil, "\(WebUI.shared.source)")
        #expect(WebUI.shared.assets["app.js"] != nil)
    }

    @Test("every UI answer carries the strict CSP, nosniff and no-referrer")
    func headers() {
        let headers = Dictionary(uniqueKeysWithValues: WebUI.headers(contentType: "text/html; charset=utf-8"))
        #expect(headers["Content-Security-Policy"] == "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
        #expect(headers["X-Content-Type-Options"] == "nosniff")
        #expect(headers["Referrer-Policy"] == "no-referrer")
        #expect(headers["Content-Type"] == "text/html; charset=utf-8")
    }

    @Test("the page has no inline script or style and builds no HTML from strings")
    func noInlineCode() throws {
        let ui = WebUI.load(from: [Self.assets])
        let html = String(decoding: try #require(ui.assets["index.html"]).body, as: UTF8.self)
        #expect(!html.contains("style="), "inline style attribute")
        #expect(!html.contains("<style"), "inline style element")
        #expect(html.components(separatedBy: "<script").dropFirst().allSatisfy { $0.hasPrefix(" type=\"module\" src=\"/ui/") })
        #expect(html.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil, "inline event handler")
        for (name, asset) in ui.assets where name.hasSuffix(".js") {
            let code = String(decoding: asset.body, as: UTF8.self)
            for forbidden in ["innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function", "document.write", "\"style\""] {
                #expect(!code.contains(forbidden), "\(name) uses \(forbidden)")
            }
        }
    }

    @Test("?access_token= counts only on GET /v1/events/stream, once, and only when it is exactly the token")
    func accessTokenQuery() {
        let token = BearerToken(Secret("s3cret-token"))
        func allowed(_ method: String, _ path: String, header: String? = nil, query: [String] = []) -> Bool {
            ControlResponder.authorized(token, authorization: header, method: method, path: path, accessTokens: query)
        }
        #expect(allowed("GET", "/v1/events/stream", query: ["s3cret-token"]))
        #expect(allowed("GET", "/v1/status", header: "Bearer s3cret-token"))
        #expect(allowed("POST", "/v1/voice/mute", header: "Bearer s3cret-token"))
        #expect(!allowed("GET", "/v1/status", query: ["s3cret-token"]), "query token off the stream")
        #expect(!allowed("GET", "/v1/events", query: ["s3cret-token"]))
        #expect(!allowed("POST", "/v1/events/stream", query: ["s3cret-token"]))
        #expect(!allowed("GET", "/v1/events/stream", query: ["s3cret-tokem"]))
        #expect(!allowed("GET", "/v1/events/stream", query: [""]))
        #expect(!allowed("GET", "/v1/events/stream", query: ["s3cret-token", "s3cret-token"]), "one value only")
        #expect(!allowed("GET", "/v1/events/stream"))
        #expect(!token.accepts(token: "Bearer s3cret-token"))
    }
}

/// The tokenless TCP listener answers only requests addressed to a loopback host (DNS rebinding).
@Suite("TCP listener without a token: loopback Host only")
struct LoopbackHostTests {
    @Test("127.x, [::1] and localhost, with or without a port, are loopback; other names and garbage are not")
    func authorities() {
        for good in ["127.0.0.1:8787", "127.0.0.1", "127.1.2.3:1", "localhost:8787", "LOCALHOST", "[::1]:8787", "[::1]"] {
            #expect(ControlResponder.isLoopbackAuthority(good), "\(good)")
        }
        for bad in [
            nil, "", "evil.example:8787", "127.0.0.1.nip.io:8787", "localhost.evil.example", "[::2]:1", "[::1]x", "[::1",
            "127.0.0.1:http", "0.0.0.0:8787", "192.168.1.2", "::1:8787", "127.0.0.1:80:80",
        ] {
            #expect(!ControlResponder.isLoopbackAuthority(bad), "\(bad ?? "nil")")
        }
    }
}
