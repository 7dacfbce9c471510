import ArgumentParser
import Foundation
import PSN
import PartyBusCore

/// `partybus login`: sign in with an npsso (headless) or through the browser.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in to PSN and store the tokens (0600) in the data folder.",
        discussion: """
            With --npsso the npsso cookie value is read from $PARTYBUS_NPSSO, else from standard input, else from a \
            prompt that does not echo — never from the command line. Get it while signed in at \
            https://ca.account.sony.com/api/v1/ssocookie. With --browser, open the printed URL, sign in, and paste \
            the final redirect URL (or just its code). The client secret comes from psn.clientSecret or \
            PARTYBUS_PSN__CLIENT_SECRET.
            """)

    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Sign in with the npsso cookie (the default).") var npsso = false
    @Flag(name: .long, help: "Sign in through a browser and paste the redirect URL.") var browser = false

    func validate() throws {
        if npsso && browser { throw ValidationError("choose --npsso or --browser, not both") }
    }

    func run() async throws {
        try await PSNSupport.withClient(global) { client in
            let tokens: TokenSet
            if browser {
                let cid = UUID().uuidString.lowercased()
                print("Open this URL, sign in, then paste the address the browser ends on (it starts with \(client.settings.redirectUri)):")
                print(client.oauth.authorizeURL(cid: cid))
                let pasted = try PSNSupport.readSecret(prompt: "redirect URL or code: ", variable: "PARTYBUS_AUTH_CODE")
                tokens = try await client.tokens.signIn(code: try OAuthClient.code(fromPasted: pasted.reveal()), cid: cid)
            } else {
                let value = try PSNSupport.readSecret(prompt: "npsso: ", variable: "PARTYBUS_NPSSO")
                tokens = try await client.tokens.signIn(npsso: value)
            }
            print("signed in as account \(tokens.accountId); access token valid until \(tokens.expiresAt)")
        }
    }
}

/// `partybus logout`: discard the stored tokens.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Discard the stored tokens.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await PSNSupport.withClient(global) { client in
            try await client.tokens.signOut()
            print("signed out")
        }
    }
}

/// `partybus whoami`: who is signed in (never the tokens).
struct WhoamiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show the signed-in account.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await PSNSupport.withClient(global) { client in
            guard let tokens = try await client.tokens.currentTokens() else {
                print("not signed in (run partybus login)")
                throw ExitCode(1)
            }
            print("account:       \(tokens.accountId)")
            print("access token:  valid until \(tokens.expiresAt)")
            print("refresh token: valid until \(tokens.refreshExpiresAt)")
        }
    }
}
