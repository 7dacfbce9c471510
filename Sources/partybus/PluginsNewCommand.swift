import ArgumentParser
import Foundation

/// `partybus plugins new NAME --kind builtin|library|exec`: writes a working plugin (a greeter) with its own test.
struct PluginsNewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Write a new plugin (a greeter) that builds and passes its own test.",
        discussion: """
            exec: NAME/ with NAME.py, events.jsonl, partybus.yaml and test.sh (runs `partybus plugins test`). \
            library: NAME/, a Swift package building libTYPE.so against the plugin SDK package only (Plugins/PluginSDK/ of \
            this checkout); `swift build && swift test` in it. builtin: Plugins/TYPE and Tests/TYPETests in this \
            checkout (--dir), then prints the lines to add to Package.swift and the built-in catalog. \
            Tutorial: docs/plugins.md.
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case builtin, library, exec
    }

    @Argument(help: "The plugin's name: [a-z][a-z0-9-]*, at most 40 characters.") var name: String
    @Option(name: .long, help: "builtin, library or exec.") var kind: Kind
    @Option(name: .long, help: "Where to write it (default: the current folder; builtin: the checkout's root).")
    var dir: String = "."
    @Option(name: .long, help: "library: the Plugins/PluginSDK folder of a PartyBus checkout (default: found from this executable).")
    var sdk: String?
    @Flag(name: .long, help: "Replace files that exist.") var force = false

    func validate() throws {
        let allowed = name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        guard allowed, name.count <= 40, let first = name.first, first.isLetter, !name.hasSuffix("-") else {
            throw ValidationError("NAME must be [a-z][a-z0-9-]* (at most 40 characters, not ending in '-'), not '\(name)'")
        }
    }

    /// `door-bell` → `DoorBell`.
    var typeName: String {
        name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    func run() throws {
        let root = URL(fileURLWithPath: dir).standardizedFileURL
        let type = typeName
        var files: [(String, String, Bool)] = []  // relative path, contents, executable
        var next: [String] = []
        switch kind {
        case .exec:
            let folder = name
            files = [
                ("\(folder)/\(name).py", PluginTemplates.execHook(name: name), true),
                ("\(folder)/events.jsonl", PluginTemplates.sampleEvents, false),
                ("\(folder)/partybus.yaml", PluginTemplates.config(
                    name: name, entryLine: "exec: [\"./\(name).py\"]", options: "{ env: { GREETING: hi } }"), false),
                ("\(folder)/test.sh", PluginTemplates.execTest(name: name), true),
            ]
            next = [
                "cd \(root.appendingPathComponent(folder).path) && ./test.sh      # PARTYBUS=/path/to/partybus if not on PATH",
                "then add the entry of \(folder)/partybus.yaml to your configuration, with an absolute exec path",
            ]
        case .library:
            let sdkPath = try sdkFolder()
            let folder = name
            files = [
                ("\(folder)/Package.swift", PluginTemplates.libraryManifest(type: type, sdkPath: sdkPath), false),
                ("\(folder)/Sources/\(type)/\(type).swift", PluginTemplates.swiftPlugin(name: name, type: type, entry: true), false),
                ("\(folder)/Tests/\(type)Tests/\(type)Tests.swift", PluginTemplates.swiftTest(name: name, type: type, module: type), false),
                ("\(folder)/events.jsonl", PluginTemplates.sampleEvents, false),
                ("\(folder)/partybus.yaml", PluginTemplates.config(
                    name: name, entryLine: "library: .build/debug/lib\(type).so", options: "{ greeting: hi }"), false),
                ("\(folder)/.gitignore", ".build/\nPackage.resolved\n", false),
            ]
            next = [
                "cd \(root.appendingPathComponent(folder).path) && swift build && swift test",
                "partybus plugins test \(name) --config partybus.yaml --events events.jsonl",
            ]
        case .builtin:
            guard let manifest = try? String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8),
                manifest.contains("name: \"PartyBus\"")
            else {
                printError("error: --kind builtin writes into a PartyBus checkout: \(root.path) has no PartyBus Package.swift (use --dir)")
                throw ExitCode(2)
            }
            files = [
                ("Plugins/\(type)/\(type).swift", PluginTemplates.swiftPlugin(name: name, type: type, entry: false), false),
                ("Tests/\(type)Tests/\(type)Tests.swift", PluginTemplates.swiftTest(name: name, type: type, module: type), false),
            ]
            next = [
                "add to Package.swift, under targets:",
                "    .target(name: \"\(type)\", dependencies: [\"PartyBusPluginAPI\"], path: \"Plugins/\(type)\", swiftSettings: strictSettings),",
                "    .testTarget(name: \"\(type)Tests\", dependencies: [\"\(type)\", \"PartyBusPluginTesting\"], swiftSettings: strictSettings),",
                "and \"\(type)\" to the dependencies of the partybus executable target;",
                "list \(type).self in BuiltinPlugins.catalog (Sources/partybus/GlobalOptions.swift);",
                "then: swift build --build-tests && swift test --skip-build --filter \(type)Tests",
                "and enable it:  plugins: { \(name): { builtin: \(name), options: { greeting: hi } } }",
            ]
        }
        for (path, _, _) in files where !force && FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path) {
            printError("error: \(root.appendingPathComponent(path).path) exists (--force replaces it)")
            throw ExitCode(2)
        }
        for (path, contents, executable) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
            if executable { try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.path) }
            print("wrote \(url.path)")
        }
        print("\nnext:")
        for line in next { print("  \(line)") }
    }

    /// The plugin SDK package: `--sdk`, else `Plugins/PluginSDK/` of the checkout this executable was built in.
    func sdkFolder() throws -> String {
        if let sdk {
            let path = URL(fileURLWithPath: sdk).standardizedFileURL.path
            guard FileManager.default.fileExists(atPath: path + "/Package.swift") else {
                printError("error: --sdk: \(path) has no Package.swift (give the Plugins/PluginSDK folder of a PartyBus checkout)")
                throw ExitCode(2)
            }
            return path
        }
        // <checkout>/.build/<triple>/<configuration>/partybus, or <checkout>/.build/<configuration>/partybus.
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = folder.appendingPathComponent("Plugins/PluginSDK")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("Package.swift").path) {
                return candidate.standardizedFileURL.path
            }
            folder = folder.deletingLastPathComponent()
        }
        printError("error: cannot find the Plugins/PluginSDK folder of a PartyBus checkout from this executable; give --sdk PATH")
        throw ExitCode(2)
    }
}
