import Crypto
import Foundation
import PartyBusPluginAPI

/// The signature scheme of webhook deliveries (docs/plugins.md "Webhook"): `v1=` + hex HMAC-SHA256 under the shared
/// secret of `"<timestamp>.<body>"`, where the timestamp is the `PartyBus-Timestamp` header (seconds since 1970).
///
/// Signing the timestamp with the body makes a captured request useless later: receivers refuse timestamps older
/// than a few minutes, and a changed timestamp breaks the signature.
public enum WebhookSignature {
    /// Header carrying the send time, in whole seconds since 1970.
    public static let timestampHeader = "PartyBus-Timestamp"
    /// Header carrying `v1=<hex>`.
    public static let signatureHeader = "PartyBus-Signature"
    /// Header carrying the delivery id (`<plugin>:<seq>`), the same on every retry: receivers deduplicate by it.
    public static let deliveryHeader = "PartyBus-Delivery"

    /// The `PartyBus-Signature` value for `body` sent at `timestamp`.
    public static func sign(secret: Secret, timestamp: Int64, body: Data) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let code = HMAC<Crypto.SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.reveal().utf8)))
        return "v1=" + code.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `signature` is right for `body` at `timestamp` and the timestamp is within `tolerance` seconds of
    /// `now`. Compares in constant time.
    public static func verify(
        secret: Secret, timestamp: Int64, body: Data, signature: String, now: Int64, tolerance: Int64 = 300
    ) -> Bool {
        guard abs(now - timestamp) <= tolerance else { return false }
        let expected = Array(sign(secret: secret, timestamp: timestamp, body: body).utf8)
        let given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ given[index] }
        return difference == 0
    }
}
