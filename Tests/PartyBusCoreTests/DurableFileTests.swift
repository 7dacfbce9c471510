import Foundation
@testable import PartyBusCore
import PartyBusTestSupport
import Testing

/// `DurableFile` against a simulated disk with a page cache: a power cut after any single system call leaves the
/// old contents or the new ones, and once `write` returned, the new ones.
@Suite("Durable file writes")
struct DurableFileTests {
    static let path = "/data/tokens.json"
    static let old = Data("old tokens".utf8)
    static let new = Data(#"{"new":"tokens, longer than the old ones"}"#.utf8)

    @Test("a power cut after any step leaves the old or the new contents; after the last step, the new")
    func everyCutPoint() throws {
        let steps = try Self.callCount(syncFolder: true)
        for cutAfter in 0...steps {
            let disk = SimulatedDisk(cutAfter: cutAfter)
            disk.seed(Self.path, Self.old)
            _ = try? DurableFile.write(Self.new, to: Self.path, mode: 0o600, calls: disk)
            let afterCut = disk.afterPowerCut(Self.path)
            #expect(afterCut == Self.old || afterCut == Self.new, "cut after call \(cutAfter): \(String(describing: afterCut))")
            if cutAfter == steps { #expect(afterCut == Self.new, "write returned, yet the new contents were lost") }
        }
    }

    @Test("the checker catches a writer that skips the folder fsync")
    func skippingTheFolderSyncIsCaught() throws {
        let disk = SimulatedDisk(cutAfter: .max)
        disk.seed(Self.path, Self.old)
        try DurableFile.write(Self.new, to: Self.path, mode: 0o600, calls: disk, syncFolder: false)
        #expect(disk.afterPowerCut(Self.path) == Self.old, "without the folder fsync the rename is not on disk")
    }

    @Test("on the real disk: contents replaced, mode 0600, no temporary file left; errors name the file and step")
    func realDisk() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("tokens.json")
        try DurableFile.write(Self.old, to: path)
        try DurableFile.write(Self.new, to: path)
        #expect(FileManager.default.contents(atPath: path) == Self.new)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("")) == ["tokens.json"])
        #expect { try DurableFile.write(Self.new, to: dir.path("missing/tokens.json")) } throws: { error in
            "\(error)".contains("missing/tokens.json.tmp-") && "\(error)".contains("cannot create")
        }
    }

    /// How many calls a complete write makes.
    static func callCount(syncFolder: Bool) throws -> Int {
        let disk = SimulatedDisk(cutAfter: .max)
        disk.seed(path, old)
        try DurableFile.write(new, to: path, mode: 0o600, calls: disk, syncFolder: syncFolder)
        return disk.calls
    }
}

/// A disk with a page cache: file contents reach the disk at the file's fsync, names (creations, renames) at the
/// folder's fsync. After `cutAfter` calls the power is gone and every call fails.
final class SimulatedDisk: FileCalls, @unchecked Sendable {
    private struct Inode { var cached = Data(); var durable = Data() }
    private var inodes: [Int: Inode] = [:]
    private var cachedNames: [String: Int] = [:]
    private var durableNames: [String: Int] = [:]
    private var descriptors: [Int32: (inode: Int, path: String)] = [:]
    private var nextInode = 1
    private var nextDescriptor: Int32 = 3
    private let cutAfter: Int
    private(set) var calls = 0
    private(set) var lastError: Int32 = 0

    init(cutAfter: Int) { self.cutAfter = cutAfter }

    /// A file already on disk.
    func seed(_ path: String, _ data: Data) {
        let inode = nextInode
        nextInode += 1
        inodes[inode] = Inode(cached: data, durable: data)
        cachedNames[path] = inode
        durableNames[path] = inode
    }

    /// What the disk holds under `path` once the power is back.
    func afterPowerCut(_ path: String) -> Data? {
        durableNames[path].map { inodes[$0]?.durable ?? Data() }
    }

    private func powered() -> Bool {
        calls += 1
        if calls > cutAfter { lastError = EIO; return false }
        return true
    }

    func open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
        guard powered() else { return -1 }
        let fd = nextDescriptor
        nextDescriptor += 1
        if flags & O_DIRECTORY != 0 {
            descriptors[fd] = (inode: 0, path: path)
            return fd
        }
        let inode = nextInode
        nextInode += 1
        inodes[inode] = Inode()
        cachedNames[path] = inode
        descriptors[fd] = (inode: inode, path: path)
        return fd
    }

    func write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        guard powered(), let open = descriptors[fd] else { return -1 }
        // Short writes, as a real write(2) may do: at most 7 bytes at a time.
        let length = min(count, 7)
        inodes[open.inode]?.cached.append(Data(bytes: bytes, count: length))
        return length
    }

    func fsync(_ fd: Int32) -> Int32 {
        guard powered(), let open = descriptors[fd] else { return -1 }
        if open.inode == 0 {
            let prefix = open.path.hasSuffix("/") ? open.path : open.path + "/"
            for (name, inode) in cachedNames where name.hasPrefix(prefix) { durableNames[name] = inode }
            for name in durableNames.keys where name.hasPrefix(prefix) && cachedNames[name] == nil {
                durableNames[name] = nil
            }
        } else if var inode = inodes[open.inode] {
            inode.durable = inode.cached
            inodes[open.inode] = inode
        }
        return 0
    }

    func close(_ fd: Int32) -> Int32 {
        guard powered() else { return -1 }
        descriptors[fd] = nil
        return 0
    }

    func rename(_ from: String, _ to: String) -> Int32 {
        guard powered(), let inode = cachedNames[from] else { return -1 }
        cachedNames[from] = nil
        cachedNames[to] = inode
        return 0
    }

    func unlink(_ path: String) -> Int32 {
        guard powered() else { return -1 }
        cachedNames[path] = nil
        return 0
    }
}
