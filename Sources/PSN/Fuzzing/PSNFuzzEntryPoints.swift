public import Foundation

/// Internal parsers of outside data, reachable by the fuzzer (`Tests/Fuzz`, `scripts/fuzz/`) and nothing else.
@_spi(Fuzzing) public enum PSNFuzzEntryPoints {
    /// An HTTP error body as `PSNAPIClient` reads it after a 4xx/5xx.
    public static func errorBody(_ body: Data, status: Int) -> String {
        let parsed = ErrorBody.parse(body, status: status)
        return "\(parsed.code ?? 0) \(parsed.message) \(parsed.referenceId ?? "") \(parsed.oauthError ?? "")"
    }

    /// The account id inside an access token (JWT-shaped), as sign-in reads it.
    public static func accountId(ofToken token: String) -> String? {
        try? JWT.accountId(of: token)
    }
}
