import ArgumentParser
import Foundation
import PSN
import PartyBusCore

/// `partybus login`: sign in with an npsso (headless) or through the browser — through the running daemon, or in
/// this process under the data folder's lock when none runs.
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

    struct SignedIn: Decodable {
        var accountId: String
        var accessTokenExpiresAt: String
    }

    func run() async throws {
        let signedIn: SignedIn
        if browser {
            let start = try await DaemonAPI.call([String: String].self, global, "GET", "/v1/auth/authorize-url")
            print("Open this URL, sign in, then paste the address the browser ends on:")
            print(start["url"] ?? "?")
            let pasted = try PSNSupport.readSecret(prompt: "redirect URL or code: ", variable: "PARTYBUS_AUTH_CODE")
            signedIn = try await DaemonAPI.call(
                SignedIn.self, global, "POST", "/v1/auth/code", body: ["redirect": pasted.reveal(), "cid": start["cid"] ?? ""])
        } else {
            let value = try PSNSupport.readSecret(prompt: "npsso: ", variable: "PARTYBUS_NPSSO")
            signedIn = try await DaemonAPI.call(SignedIn.self, global, "POST", "/v1/auth/npsso", body: ["npsso": value.reveal()])
        }
        print("signed in as account \(signedIn.accountId); access token valid until \(signedIn.accessTokenExpiresAt)")
    }
}

/// `partybus logout`: discard the stored tokens.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Discard the stored tokens.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = try await DaemonAPI.call(global, "POST", "/v1/auth/logout")
        print("signed out")
    }
}

/// `partybus whoami`: who is signed in (never the tokens).
struct WhoamiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show the signed-in account.")
    @OptionGroup var global: GlobalOptions

    struct Status: Decodable {
        struct Account: Decodable {
            var accountId: String?
            var signedIn: Bool
            var refreshTokenExpiresAt: String?
            var signInRequired: String?
        }
        var account: Account
    }

    func run() async throws {
        let status = try await DaemonAPI.call(Status.self, global, "GET", "/v1/status")
        guard status.account.signedIn, let account = status.account.accountId else {
            print("not signed in (\(status.account.signInRequired ?? "run partybus login"))")
            throw ExitCode(1)
        }
        print("account:       \(account)")
        print("refresh token: valid until \(status.account.refreshTokenExpiresAt ?? "?")")
    }
}
