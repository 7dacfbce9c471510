import Foundation
import PartyBusPluginAPI

/// Checks that a file is a complete shared object for this machine before `dlopen` maps it.
///
/// glibc maps a truncated library without complaint when its headers survive, and the process then dies with
/// SIGBUS on first touching a page past the end of the file. This check reads the ELF header, the program
/// headers and the section header table and refuses a file whose segments or tables reach past its end.
enum ELFCheck {
    static func validate(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PluginError("\(path): cannot open for reading")
        }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: 0)
        let header = (try? handle.read(upToCount: 64)) ?? Data()
        guard header.count == 64, header.prefix(4) == Data([0x7f, 0x45, 0x4c, 0x46]) else {
            throw PluginError("\(path): not an ELF shared object (bad magic or shorter than an ELF header)")
        }
        guard header[4] == 2, header[5] == 1 else {
            throw PluginError("\(path): not a 64-bit little-endian ELF file")
        }
        func u16(_ data: Data, _ at: Int) -> UInt64 { UInt64(data[at]) | UInt64(data[at + 1]) << 8 }
        func u32(_ data: Data, _ at: Int) -> UInt64 { u16(data, at) | u16(data, at + 2) << 16 }
        func u64(_ data: Data, _ at: Int) -> UInt64 { u32(data, at) | u32(data, at + 4) << 32 }
        let type = u16(header, 16)
        let machine = u16(header, 18)
        guard type == 3 else { throw PluginError("\(path): not a shared object (ELF type \(type), want 3 = DYN)") }
        #if arch(x86_64)
        let hostMachine: UInt64 = 62
        #elseif arch(arm64)
        let hostMachine: UInt64 = 183
        #else
        let hostMachine: UInt64 = machine
        #endif
        guard machine == hostMachine else {
            throw PluginError("\(path): built for another CPU architecture (ELF machine \(machine))")
        }
        let programOffset = u64(header, 32)
        let sectionOffset = u64(header, 40)
        let programEntrySize = u16(header, 54)
        let programCount = u16(header, 56)
        let sectionEntrySize = u16(header, 58)
        let sectionCount = u16(header, 60)
        let programEnd = programOffset + programEntrySize * programCount
        let sectionEnd = sectionOffset + sectionEntrySize * sectionCount
        guard programEnd <= size, sectionEnd <= size else {
            throw PluginError(
                "\(path): truncated (\(size) bytes, but its headers reach byte \(max(programEnd, sectionEnd)))")
        }
        try? handle.seek(toOffset: programOffset)
        let programs = (try? handle.read(upToCount: Int(programEntrySize * programCount))) ?? Data()
        for index in 0..<Int(programCount) {
            let base = index * Int(programEntrySize)
            guard u32(programs, base) == 1 else { continue }  // PT_LOAD
            let end = u64(programs, base + 8) + u64(programs, base + 32)
            guard end <= size else {
                throw PluginError("\(path): truncated (\(size) bytes, but a loadable segment ends at byte \(end))")
            }
        }
    }
}
