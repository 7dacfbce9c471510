public import Foundation
public import PartyBusCore

/// The rtcBridge voice uplink API (psn-protocol.md C): create a bridge, add a peer (the server offers), answer,
/// re-offer, delete. The bridge token travels only in `X-PSN-BRIDGE-TOKEN` and is kept as a `Secret`.
public struct RTCBridgeClient: Sendable {
    /// A bridge (C.1).
    public struct Bridge: Sendable, Equatable {
        /// Its id.
        public var bridgeId: String
        /// Its token (never logged).
        public var bridgeToken: Secret
        /// Hosting region (`us1_uksaws_1`).
        public var hostingType: String?
    }

    /// A peer and the server's offer (C.3).
    public struct Peer: Sendable, Equatable {
        /// The peer id.
        public var peerId: String
        /// The bridge's SDP offer.
        public var offer: String
    }

    let api: PSNAPIClient
    private static let base = "/rtcBridge/v1/bridges"

    /// A client over the API client.
    public init(api: PSNAPIClient) {
        self.api = api
    }

    /// C.3's mediaTypes body: one CELT mode, 40 kbit/s, mono, ptime 40, 16 kHz — what the app sends.
    static var mediaTypes: [String: Any] { [
        "mediaTypes": [
            "application": ["isRequired": true],
            "audio": [
                "isRequired": true,
                "opus": [["bitrate": 40, "channels": 1, "codec": "CELT", "ptime": 40, "samplingRates": [16000]]],
            ],
        ]
    ] }

    private func headers(_ bridge: Bridge? = nil) -> [(name: String, value: String)] {
        var headers = [(name: "X-PSN-RTC-TITLE-ID", value: api.settings.rtcTitleId ?? "METROPOL_AND")]
        if let bridge { headers.append((name: "X-PSN-BRIDGE-TOKEN", value: bridge.bridgeToken.reveal())) }
        return headers
    }

    private static func json(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// An id that goes into a path must look like one (UUID-ish: letters, digits, dashes).
    private static func checked(_ id: String, _ what: String) throws -> String {
        guard !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw PSNError.malformed(endpoint: "rtcBridge", detail: "\(what) '\(id.prefix(64))' is not an id")
        }
        return id
    }

    /// C.1: creates a bridge.
    public func createBridge() async throws -> Bridge {
        let response = try await api.call(
            .POST, Self.base, stack: .core, json: Data("{}".utf8), extraHeaders: headers(), endpoint: "createBridge")
        struct Body: Decodable {
            struct Inner: Decodable { var bridgeId: String; var bridgeToken: String; var bridgeHostingType: String? }
            var bridge: Inner
        }
        let body = try api.decode(Body.self, from: response, endpoint: "createBridge")
        return Bridge(
            bridgeId: try Self.checked(body.bridge.bridgeId, "bridgeId"), bridgeToken: Secret(body.bridge.bridgeToken),
            hostingType: body.bridge.bridgeHostingType)
    }

    /// C.3: adds our peer; the response carries the bridge's offer.
    public func addPeer(_ bridge: Bridge) async throws -> Peer {
        let response = try await api.call(
            .POST, "\(Self.base)/\(try Self.checked(bridge.bridgeId, "bridgeId"))/peers?allow_duid_duplication=false&g=2",
            stack: .core, json: try Self.json(Self.mediaTypes), extraHeaders: headers(bridge), endpoint: "addBridgePeer")
        struct Body: Decodable {
            struct Offer: Decodable { var sdp: String }
            struct Inner: Decodable { var peerId: String; var offer: Offer }
            var peer: Inner
        }
        let body = try api.decode(Body.self, from: response, endpoint: "addBridgePeer")
        return Peer(peerId: try Self.checked(body.peer.peerId, "peerId"), offer: body.peer.offer.sdp)
    }

    /// C.4: asks for a new offer (renegotiation).
    public func requestOffer(_ bridge: Bridge, peerId: String) async throws -> String {
        let response = try await api.call(
            .POST, "\(Self.base)/\(try Self.checked(bridge.bridgeId, "bridgeId"))/peers/\(try Self.checked(peerId, "peerId"))/offer",
            stack: .core, json: try Self.json(Self.mediaTypes), extraHeaders: headers(bridge), endpoint: "bridgeOffer")
        struct Body: Decodable {
            struct Offer: Decodable { var sdp: String }
            var offer: Offer
        }
        return try api.decode(Body.self, from: response, endpoint: "bridgeOffer").offer.sdp
    }

    /// C.5: sends our answer (204).
    public func answer(_ bridge: Bridge, peerId: String, sdp: String) async throws {
        _ = try await api.call(
            .POST, "\(Self.base)/\(try Self.checked(bridge.bridgeId, "bridgeId"))/peers/\(try Self.checked(peerId, "peerId"))/answer",
            stack: .core, json: try Self.json(["answer": ["sdp": sdp]]), extraHeaders: headers(bridge),
            endpoint: "bridgeAnswer")
    }

    /// C.7: deletes our peer (202).
    public func deletePeer(_ bridge: Bridge, peerId: String) async throws {
        _ = try await api.call(
            .DELETE, "\(Self.base)/\(try Self.checked(bridge.bridgeId, "bridgeId"))/peers/\(try Self.checked(peerId, "peerId"))",
            stack: .core, extraHeaders: headers(bridge), endpoint: "deleteBridgePeer")
    }

    /// C.7: deletes the bridge (202).
    public func deleteBridge(_ bridge: Bridge) async throws {
        _ = try await api.call(
            .DELETE, "\(Self.base)/\(try Self.checked(bridge.bridgeId, "bridgeId"))", stack: .core,
            extraHeaders: headers(bridge), endpoint: "deleteBridge")
    }
}
