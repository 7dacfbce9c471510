/// One failed D.7 check of a customMessage payload: the rule number (1–5) and what exactly was wrong.
struct MirandaRuleViolation: Error, Sendable, Equatable {
    /// D.7 rule number.
    var rule: Int
    /// Short machine-readable name of the failed check (e.g. `textLength`).
    var check: String
    /// Human-readable description (never contains tokens; may contain account ids).
    var failure: String

    /// The D.7 error: `400 Bad Request (body: null)` (the message D.7 prescribes), with the failed rule in the
    /// optional F.3 `reason` / `details` keys.
    var apiError: APIError {
        APIError(
            status: 400, code: 9_900_400, message: "Bad Request (body: null)", reason: "MirandaPayloadRule\(rule)",
            details: .object([
                "path": .string("payload"),
                "rule": .string("D.7.\(rule)"),
                "check": .string(check),
                "failure": .string(failure),
            ]))
    }
}

/// The simulator's `miranda:12` payload checks, psn-protocol.md D.7 rules 1–4 (rule 5, party membership, is
/// checked by the customMessage route itself).
enum MirandaValidation {
    /// Validates `payload` for `caller`. `strictIdentity` is the `strictMirandaIdentity` switch (rule 4).
    static func validate(payload: String, callerAccountId: String, callerPlatform: String,
                         strictIdentity: Bool) throws(MirandaRuleViolation) {
        let decoded: MirandaPayload
        do {
            decoded = try MirandaPayload.decode(envelope: payload)
        } catch {
            throw violation(for: error)
        }
        try checkContent(decoded.json)
        if strictIdentity {
            try checkIdentity(decoded, callerAccountId: callerAccountId, callerPlatform: callerPlatform)
        }
    }

    static func violation(for error: MirandaDecodingError) -> MirandaRuleViolation {
        switch error {
        case .missingPrefix:
            return MirandaRuleViolation(rule: 1, check: "prefix",
                                        failure: "payload must start with 'ver=1.0, type=binary, body='")
        case .invalidBase64:
            return MirandaRuleViolation(rule: 1, check: "base64",
                                        failure: "body is not non-empty standard base64 with padding")
        case .tooShort(let length):
            return MirandaRuleViolation(rule: 2, check: "length",
                                        failure: "decoded body is \(length) bytes; at least 50 are required")
        case .unexpectedConstants:
            return MirandaRuleViolation(rule: 2, check: "constants",
                                        failure: "bytes 0-15 must be u64 LE 1 followed by u64 LE 1")
        case .textLengthMismatch(let declared, let actual):
            return MirandaRuleViolation(
                rule: 2, check: "textLength",
                failure: "u32 at offset 40 is \(declared) but \(actual) bytes follow the 44-byte header")
        case .missingFraming:
            return MirandaRuleViolation(rule: 2, check: "framing", failure: "text must start with '1/1/1\\n'")
        case .invalidJSON:
            return MirandaRuleViolation(rule: 2, check: "json", failure: "text after '1/1/1\\n' is not valid JSON")
        }
    }

    /// Rule 3: `type` is `offer` or `answer`; `sdp` is a non-empty string starting with `v=0`.
    static func checkContent(_ json: JSONValue) throws(MirandaRuleViolation) {
        guard let type = json["type"]?.stringValue, type == "offer" || type == "answer" else {
            throw MirandaRuleViolation(rule: 3, check: "type", failure: "inner JSON 'type' must be 'offer' or 'answer'")
        }
        guard let sdp = json["sdp"]?.stringValue, !sdp.isEmpty, sdp.hasPrefix("v=0") else {
            throw MirandaRuleViolation(rule: 3, check: "sdp",
                                       failure: "inner JSON 'sdp' must be a non-empty string starting with 'v=0'")
        }
    }

    /// Rule 4: header sender and `from` name the caller. Platforms without a known code (0.4: only MOBILE_APP and
    /// PS5 are known) skip the platform comparison.
    static func checkIdentity(_ payload: MirandaPayload, callerAccountId: String,
                              callerPlatform: String) throws(MirandaRuleViolation) {
        guard let callerId = UInt64(callerAccountId), payload.senderAccountId == callerId else {
            throw MirandaRuleViolation(rule: 4, check: "headerAccountId",
                                       failure: "header bytes 16-23 must equal the caller's account id")
        }
        guard let from = payload.json["from"], from["account_id"]?.stringValue == callerAccountId else {
            throw MirandaRuleViolation(rule: 4, check: "fromAccountId",
                                       failure: "from.account_id must be the caller's account id (a JSON string)")
        }
        if let code = MirandaPayload.platformCode(for: callerPlatform) {
            guard let platform = from["platform"], case .number(let digits) = platform, UInt64(digits) == code else {
                throw MirandaRuleViolation(rule: 4, check: "fromPlatform",
                                           failure: "from.platform must be the caller's platform code \(code)")
            }
        }
    }
}
