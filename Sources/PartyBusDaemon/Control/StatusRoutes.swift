import Foundation
import PSN
import PartyBusCore
import PartyVoice

/// `GET /v1/status`, `GET /v1/plugins` and the sign-in routes.
enum StatusRoutes {
    static let routes: [ControlRoute] = [
        ControlRoute("GET", "/v1/status", "Account, push state, parties, voice and the log's head.") { _, context in
            try .json(await status(context))
        },
        ControlRoute("GET", "/v1/plugins", "Configured plugins with their state, failures and checkpoint.") { _, context in
            try .json(await plugins(context))
        },
        ControlRoute("GET", "/v1/auth/authorize-url", "The browser sign-in URL (A.2) and the cid to send back with the code.") { _, context in
            let cid = UUID().uuidString.lowercased()
            return try .json(["url": context.client.oauth.authorizeURL(cid: cid), "cid": cid])
        },
        ControlRoute("POST", "/v1/auth/npsso", "Sign in with an npsso cookie value (A.3 + A.4).") { request, context in
            struct Body: Decodable { var npsso: String }
            let body = try request.decode(Body.self)
            guard !body.npsso.isEmpty else { throw ControlAPIError.badRequest("request body: 'npsso' is empty") }
            let tokens = try await context.client.tokens.signIn(npsso: Secret(body.npsso))
            return try .json(SignInAnswer(tokens))
        },
        ControlRoute("POST", "/v1/auth/code", "Sign in with the redirect URL (or its code) of the browser flow.") { request, context in
            struct Body: Decodable { var redirect: String; var cid: String }
            let body = try request.decode(Body.self)
            let code = try OAuthClient.code(fromPasted: body.redirect)
            let tokens = try await context.client.tokens.signIn(code: code, cid: body.cid)
            return try .json(SignInAnswer(tokens))
        },
        ControlRoute("POST", "/v1/auth/logout", "Discard the stored tokens.") { _, context in
            try await context.client.tokens.signOut()
            return try .json(["signedIn": false])
        },
    ]

    /// What a sign-in answers: who, and until when — never a token.
    struct SignInAnswer: Encodable {
        var accountId: String
        var accessTokenExpiresAt: String
        var refreshTokenExpiresAt: String
        init(_ tokens: TokenSet) {
            accountId = tokens.accountId
            accessTokenExpiresAt = ISO8601DateFormatter().string(from: tokens.expiresAt)
            refreshTokenExpiresAt = ISO8601DateFormatter().string(from: tokens.refreshExpiresAt)
        }
    }

    /// `GET /v1/status`.
    struct Status: Encodable {
        struct Account: Encodable {
            var accountId: String?
            var signedIn: Bool
            var refreshTokenExpiresAt: String?
            var signInRequired: String?
        }
        struct Push: Encodable {
            var state: String
            var connection: Int
            var lastError: String?
        }
        struct Log: Encodable {
            var path: String
            var head: UInt64
        }
        var version: String
        var pid: Int32
        var mode: String
        var dataDir: String
        var simulated: Bool
        var account: Account
        var push: Push
        var parties: [PartyProjection.Party]
        var invitations: [PartyInvitationReceived]
        var voice: VoiceStatus?
        /// Recordings in progress.
        var recordings: [RecordStarted]
        var log: Log
    }

    static func status(_ context: DaemonContext) async throws -> Status {
        await context.caughtUp()
        let folded = context.status.current
        let tokens = try? await context.client.tokens.currentTokens()
        return Status(
            version: Engine.version, pid: getpid(), mode: context.inProcess ? "in-process (no daemon running)" : "daemon",
            dataDir: context.config.dataDirectory.path, simulated: context.simulated,
            account: .init(
                accountId: tokens?.accountId, signedIn: tokens != nil,
                refreshTokenExpiresAt: tokens.map { ISO8601DateFormatter().string(from: $0.refreshExpiresAt) },
                signInRequired: tokens == nil ? (folded.signInRequired ?? "not signed in (partybus login)") : nil),
            push: .init(state: context.inProcess ? "not running (no daemon)" : folded.push, connection: folded.pushConnection,
                        lastError: folded.pushLastError),
            parties: context.parties.current.parties.values.sorted { $0.sessionId < $1.sessionId },
            invitations: folded.invitations.values.sorted { $0.sessionId < $1.sessionId },
            voice: await context.voice?.status(),
            recordings: folded.recordings.values.sorted { $0.id < $1.id },
            log: .init(path: context.log.path, head: context.log.head))
    }

    /// One entry of `GET /v1/plugins`.
    struct PluginEntry: Encodable {
        var name: String
        var kind: String
        var enabled: Bool
        var state: String
        var failures: Int
        var lastFailure: String?
        var checkpoint: UInt64
        var source: String
    }

    static func plugins(_ context: DaemonContext) async throws -> [PluginEntry] {
        await context.caughtUp()
        let folded = context.plugins.current
        let checkpoints = try context.log.stats().checkpoints
        var entries = context.config.plugins.map { entry in
            let seen = folded.plugins[entry.name]
            return PluginEntry(
                name: entry.name, kind: entry.kind.rawValue, enabled: entry.enabled, state: seen?.state ?? "never",
                failures: seen?.failures ?? 0, lastFailure: seen?.lastFailure, checkpoint: checkpoints[entry.name] ?? 0,
                source: entry.library ?? entry.exec?.joined(separator: " ") ?? "builtin \(entry.builtin ?? "?")")
        }
        for (name, seen) in folded.plugins.sorted(by: { $0.key < $1.key }) where !entries.contains(where: { $0.name == name }) {
            entries.append(PluginEntry(
                name: name, kind: seen.kind ?? "?", enabled: false, state: seen.state, failures: seen.failures,
                lastFailure: seen.lastFailure, checkpoint: checkpoints[name] ?? 0, source: "in the log, not in the config"))
        }
        return entries
    }
}
