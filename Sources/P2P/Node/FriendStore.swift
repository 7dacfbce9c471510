import Foundation

/// A friend: a peer that completed a handshake once; it reconnects with its key, no token needed.
public struct Friend: Sendable, Codable, Hashable {
    /// The friend's public key (base32 peer id).
    public var peer: String
    /// The pre-shared key both sides derived at the first handshake (a secret: only in the 0600 file).
    var friendKey: [UInt8]
    /// Where the friend was last reached.
    public var candidates: [Candidate]
}

/// Friends persisted as `<data>/p2p-friends.json` (0600): written atomically after each change.
struct FriendStore {
    let file: URL?

    func load() throws -> [String: Friend] {
        guard let file, FileManager.default.fileExists(atPath: file.path) else { return [:] }
        let data = try Data(contentsOf: file)
        do {
            let list = try JSONDecoder().decode([Friend].self, from: data)
            return Dictionary(list.map { ($0.peer, $0) }, uniquingKeysWith: { $1 })
        } catch {
            throw P2PError("\(file.path) is not a friends list: \(error)")
        }
    }

    func save(_ friends: [String: Friend]) throws {
        guard let file else { return }
        let data = try JSONEncoder().encode(friends.values.sorted { $0.peer < $1.peer })
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".p2p-friends.\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw P2PError("could not write \(temporary.path)")
        }
        // rename(2) replaces the old file atomically (FileManager.replaceItemAt wants the old file to exist).
        guard rename(temporary.path, file.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw P2PError("could not replace \(file.path): errno \(errno)")
        }
    }
}
