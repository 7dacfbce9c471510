import Foundation

/// Reads the two error body shapes PSN uses: F.3 `{"error":{"referenceId","code","message"}}` and OAuth's
/// `{"error":"invalid_grant","error_description":"…"}`.
enum ErrorBody {
    struct Parsed {
        var code: Int?
        var message: String
        var referenceId: String?
        /// The OAuth `error` word (`invalid_grant`, `invalid_client` …), for the OAuth shape only.
        var oauthError: String? = nil
    }

    static func parse(_ body: Data, status: Int) -> Parsed {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            return Parsed(code: nil, message: text.isEmpty ? "HTTP \(status)" : text)
        }
        if let error = object["error"] as? [String: Any] {
            return Parsed(
                code: (error["code"] as? NSNumber)?.intValue, message: error["message"] as? String ?? "error",
                referenceId: error["referenceId"] as? String)
        }
        if let error = object["error"] as? String {
            let description = object["error_description"] as? String
            return Parsed(code: nil, message: description.map { "\(error): \($0)" } ?? error, oauthError: error)
        }
        return Parsed(code: nil, message: String(decoding: body.prefix(200), as: UTF8.self))
    }
}
