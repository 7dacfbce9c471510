import Foundation
import PartyBusCore
import PartyBusTestSupport
import Testing

@Suite("Configuration")
struct ConfigTests {
    func write(_ text: String, in dir: TemporaryDirectory) throws -> String {
        let path = dir.path("partybus.yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func diagnostics(_ text: String, environment: [String: String] = [:]) throws -> [String] {
        let dir = try TemporaryDirectory()
        let path = try write(text, in: dir)
        return ConfigLoader(environment: environment).check(file: path).map {
            $0.description.replacingOccurrences(of: path, with: "FILE")
        }
    }

    @Test("no file gives the documented defaults")
    func defaults() throws {
        let config = try ConfigLoader(environment: [:]).load(file: nil)
        #expect(config.engine.logLevel == "info")
        #expect(config.engine.handlerTimeoutMs == 5000)
        #expect(config.engine.queueCapacity == 1024)
        #expect(config.engine.synchronous == "full")
        #expect(config.plugins.isEmpty)
    }

    @Test("the shipped config/partybus.yaml is valid")
    func shippedConfig() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../config/partybus.yaml").standardized.path
        let config = try ConfigLoader(environment: [:]).load(file: shipped)
        #expect(config.plugins.map(\.name) == ["party-log", "event-counter"])
        #expect(config.plugins[0].kind == .exec)
        #expect(config.plugins[1].enabled == false)
    }

    @Test("a full file decodes with types, order and options kept")
    func fullFile() throws {
        let dir = try TemporaryDirectory()
        let path = try write(
            """
            engine:
              data_dir: /var/lib/partybus
              log_level: debug
              queue_capacity: 2_048
            plugins:
              zeta:
                exec: [/bin/cat, -u]
                events: ["party.*", "voice.*"]
              alpha:
                builtin: exec-hook
                enabled: no
                start: beginning
                options: { command: [/bin/cat], retries: 3, ratio: 0.5, name: x, flag: true }
            """, in: dir)
        let config = try ConfigLoader(environment: [:]).load(file: path)
        #expect(config.engine.dataDir == "/var/lib/partybus")
        #expect(config.engine.queueCapacity == 2048)
        #expect(config.engine.level == .debug)
        #expect(config.plugins.map(\.name) == ["zeta", "alpha"])
        #expect(config.plugins[0].exec == ["/bin/cat", "-u"])
        #expect(config.plugins[0].events == ["party.*", "voice.*"])
        #expect(config.plugins[1].enabled == false)
        #expect(config.plugins[1].start == "beginning")
        #expect(config.plugins[1].options["retries"] == .int(3))
        #expect(config.plugins[1].options["ratio"] == .double(0.5))
        #expect(config.plugins[1].options["flag"] == .bool(true))
        #expect(config.eventLogPath == "/var/lib/partybus/events.sqlite")
    }

    @Test("broken YAML is reported at its line and column")
    func brokenYAML() throws {
        let found = try diagnostics("engine:\n  log_level: [info\n  queue_capacity: 3\n")
        #expect(found.count == 1)
        #expect(found[0].hasPrefix("FILE:3:"))
        #expect(found[0].contains("YAML syntax"))
    }

    @Test("an unknown key is reported where it stands, with a suggestion")
    func unknownKey() throws {
        let found = try diagnostics("engine:\n  log_level: info\n  queue_capcity: 3\nvoicee: {}\n")
        #expect(found == [
            "FILE:3:3: unknown key 'queue_capcity' in engine (did you mean 'queue_capacity'?)",
            "FILE:4:1: unknown key 'voicee' in the top level",
        ])
    }

    @Test("wrong types and out-of-range values are reported where they stand")
    func wrongTypes() throws {
        let found = try diagnostics(
            """
            engine:
              handler_timeout_ms: soon
              queue_capacity: 0
              log_level: loud
              synchronous: [full]
            plugins:
              hook:
                exec: /bin/cat
                events: ["party.*", "bad glob!"]
            """)
        #expect(found == [
            "FILE:2:23: engine.handler_timeout_ms: expected an integer, found 'soon'",
            "FILE:3:19: engine.queue_capacity: 0 is out of range 1…1000000",
            "FILE:4:14: engine.log_level: 'loud' is not one of trace, debug, info, notice, warning, error, critical",
            "FILE:5:16: engine.synchronous: expected one of full, normal, found a list",
            "FILE:8:11: plugins.hook.exec: expected a list of strings, found '/bin/cat'",
            "FILE:9:25: plugins.hook.events[1]: 'bad glob!' is not a valid type glob",
        ])
    }

    @Test("a plugin must name exactly one way to load it, and a valid name")
    func pluginRules() throws {
        let found = try diagnostics(
            "plugins:\n  Two_Ways:\n    builtin: exec-hook\n    library: x.so\n  nothing:\n    enabled: true\n")
        #expect(found == [
            "FILE:2:3: plugins.Two_Ways: a plugin name must be [a-z0-9-]+",
            "FILE:2:3: plugins.Two_Ways: give exactly one of builtin, library or exec (found builtin, library)",
            "FILE:5:3: plugins.nothing: give exactly one of builtin, library or exec",
        ])
    }

    @Test("PARTYBUS_* variables override the file, and a bad one names the variable")
    func environmentOverrides() throws {
        let dir = try TemporaryDirectory()
        let path = try write("engine:\n  queue_capacity: 5\nplugins:\n  party-log:\n    exec: [/bin/cat]\n", in: dir)
        let config = try ConfigLoader(environment: [
            "PARTYBUS_ENGINE__QUEUE_CAPACITY": "7", "PARTYBUS_PLUGINS__PARTY_LOG__ENABLED": "false",
            "PARTYBUS_DATA_DIR": "/srv/pb", "PARTYBUS_PSN_CLIENT_SECRET": "ignored-by-the-core",
        ]).load(file: path)
        #expect(config.engine.queueCapacity == 7)
        #expect(config.engine.dataDir == "/srv/pb")
        #expect(config.plugins.first?.enabled == false)
        let camel = try ConfigLoader(
            extraSections: [("psn", .object([("clientSecret", .string(default: nil))]))],
            environment: ["PARTYBUS_PSN__CLIENT_SECRET": "from-env"]
        ).load(file: path)
        #expect(camel.sections["psn"]?["clientSecret"] == .string("from-env"))
        let bad = ConfigLoader(environment: ["PARTYBUS_ENGINE__QUEUE_CAPACITY": "lots", "PARTYBUS_ENGINE__COLOUR": "red"])
            .check(file: path).map(\.description)
        #expect(bad == [
            "env PARTYBUS_ENGINE__QUEUE_CAPACITY: engine.queue_capacity: expected an integer, found 'lots'",
            "env PARTYBUS_ENGINE__COLOUR: unknown key 'colour' in engine",
        ])
    }

    @Test("an unreadable file is an error naming it")
    func missingFile() throws {
        let found = ConfigLoader(environment: [:]).check(file: "/nonexistent/partybus.yaml")
        #expect(found.count == 1)
        #expect(found[0].description.hasPrefix("/nonexistent/partybus.yaml: cannot read"))
    }
}
