import Foundation
import Hummingbird
import Logging

/// The web UI: plain HTML, CSS and ES modules shipped as this target's SwiftPM resources (`WebUI/Assets`), read
/// once, served on the control API's listeners at `/` (index.html) and `/ui/<file>`. The page reads only the
/// control API and its event stream. Every answer carries a strict Content-Security-Policy, `nosniff` and
/// `no-referrer`; the files hold no secret, so they are served without the bearer token (the page asks for it).
struct WebUI: Sendable {
    /// One file.
    struct Asset: Sendable {
        let body: Data
        let contentType: String
    }

    /// Files by name (`index.html`, `app.js` …).
    let assets: [String: Asset]
    /// Where they were read from, or why not.
    let source: String

    /// The policy: only this origin's scripts, styles and connections; no framing, no `<base>`, no inline code.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    /// The resources, read on first use.
    static let shared = WebUI.load(from: resourceFolders())

    /// The asset a `GET` of `path` is for: `/` → index.html, `/ui/<name>` → that file; nil for any other path.
    func asset(for path: String) -> Asset? {
        if path == "/" || path == "/ui" || path == "/ui/" { return assets["index.html"] }
        guard path.hasPrefix("/ui/") else { return nil }
        return assets[String(path.dropFirst("/ui/".count))]
    }

    /// True when `path` is the UI's (answered by `response(for:)`, never by the JSON API).
    static func isUIPath(_ path: String) -> Bool { path == "/" || path == "/ui" || path.hasPrefix("/ui/") }

    /// The answer to a `GET` of a UI path: the file with the security headers, or a 404 (also with them).
    func response(for path: String) -> Response {
        guard let asset = asset(for: path) else {
            let message = assets.isEmpty ? "the web UI's files were not found (\(source))" : "no such file of the web UI"
            return Self.response(status: .notFound, body: Data(message.utf8), contentType: "text/plain; charset=utf-8")
        }
        return Self.response(status: .ok, body: asset.body, contentType: asset.contentType)
    }

    /// The headers of every UI answer: its media type, the policy, `nosniff`, `no-referrer`, revalidate each time.
    static func headers(contentType: String) -> [(String, String)] {
        [
            ("Content-Type", contentType), ("Content-Security-Policy", contentSecurityPolicy),
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-cache"),
        ]
    }

    /// A response with the UI's security headers.
    static func response(status: HTTPResponse.Status, body: Data, contentType: String) -> Response {
        var fields = HTTPFields()
        for (name, value) in headers(contentType: contentType) {
            if let name = HTTPFields.Element.Name(name) { fields[name] = value }
        }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Reads the first folder of `candidates` that holds `index.html`; only plain file names, no subfolders.
    static func load(from candidates: [URL]) -> WebUI {
        let manager = FileManager.default
        for folder in candidates where manager.fileExists(atPath: folder.appendingPathComponent("index.html").path) {
            var assets: [String: Asset] = [:]
            for name in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? [] where isPlainName(name) {
                guard let type = contentType(of: name), let body = manager.contents(atPath: folder.appendingPathComponent(name).path)
                else { continue }
                assets[name] = Asset(body: body, contentType: type)
            }
            return WebUI(assets: assets, source: folder.path)
        }
        return WebUI(assets: [:], source: "looked in \(candidates.map(\.path).joined(separator: ", "))")
    }

    /// Where SwiftPM puts this target's resources: `PartyBus_PartyBusDaemon.resources` (Linux) or `.bundle` (macOS)
    /// beside the executable. Looked up by hand: the generated `Bundle.module` stops the process when it is missing.
    static func resourceFolders() -> [URL] {
        var folders: [URL] = []
        for executable in [Bundle.main.executableURL, URL(fileURLWithPath: CommandLine.arguments.first ?? "")].compactMap({ $0 }) {
            let directory = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            folders.append(directory.appendingPathComponent("PartyBus_PartyBusDaemon.resources/Assets"))
            folders.append(directory.appendingPathComponent("PartyBus_PartyBusDaemon.bundle/Contents/Resources/Assets"))
            folders.append(directory.appendingPathComponent("PartyBus_PartyBusDaemon.bundle/Assets"))
        }
        return folders
    }

    /// `[A-Za-z0-9._-]`, not starting with a dot.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.utf8.count <= 100
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    /// The media type of a file name, nil for a kind the UI does not serve.
    static func contentType(of name: String) -> String? {
        switch (name as NSString).pathExtension {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: nil
        }
    }
}
