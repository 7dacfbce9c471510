import Foundation
import PartyBusCore

/// Keeps tokens in `<data-dir>/tokens.json`, readable by the owner only (0600), written atomically.
///
/// The file is the one place tokens are written in the clear, on purpose: `Secret` never encodes its value, so
/// this type reveals each value explicitly.
public struct TokenStore: Sendable {
    /// The file.
    public let path: String

    /// A store at `<dataDirectory>/tokens.json`.
    public init(dataDirectory: URL) {
        path = dataDirectory.appendingPathComponent("tokens.json").path
    }

    private struct Stored: Codable {
        var accessToken: String
        var refreshToken: String
        var expiresAt: Double
        var refreshExpiresAt: Double
        var accountId: String
        var scope: String
    }

    /// The stored tokens, or nil when there are none; a damaged file is an error naming it.
    public func load() throws -> TokenSet? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let stored: Stored
        do {
            stored = try JSONDecoder().decode(Stored.self, from: data)
        } catch {
            throw PSNError.configuration("\(path): damaged token file (\(EventJSON.describe(error))); run partybus login")
        }
        if let problem = AccountId.problem(stored.accountId, field: "accountId") {
            throw PSNError.configuration("\(path): damaged token file (\(problem)); run partybus login")
        }
        return TokenSet(
            accessToken: Secret(stored.accessToken), refreshToken: Secret(stored.refreshToken),
            expiresAt: Date(timeIntervalSince1970: stored.expiresAt),
            refreshExpiresAt: Date(timeIntervalSince1970: stored.refreshExpiresAt), accountId: stored.accountId,
            scope: stored.scope)
    }

    /// Writes the tokens durably (`DurableFile`: a 0600 temporary file, fsync, rename, fsync of the folder).
    public func save(_ tokens: TokenSet) throws {
        let stored = Stored(
            accessToken: tokens.accessToken.reveal(), refreshToken: tokens.refreshToken.reveal(),
            expiresAt: tokens.expiresAt.timeIntervalSince1970, refreshExpiresAt: tokens.refreshExpiresAt.timeIntervalSince1970,
            accountId: tokens.accountId, scope: tokens.scope)
        let data = try JSONEncoder().encode(stored)
        do {
            try PrivateFiles.prepareFolder(of: path)
            try DurableFile.write(data, to: path)
        } catch {
            throw PSNError.configuration("cannot write the token file: \(error)")
        }
    }

    /// Deletes the file (sign-out).
    public func delete() {
        unlink(path)
    }
}
