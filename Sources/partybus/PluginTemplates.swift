/// The files `partybus plugins new` writes: the same greeter in each kind, so the tutorial (docs/plugins.md) reads
/// the same whichever kind a newcomer picks. `NAME` is the plugin's name, `TYPE` its Swift type name.
enum PluginTemplates {
    /// The plugin's Swift source (built-in and `.so`); `entry` adds the entry symbol of a `.so`.
    static func swiftPlugin(name: String, type: String, entry: Bool) -> String {
        var text = """
            import Foundation
            import PartyBusPluginAPI

            /// `\(name).greeted`: the plugin greeted a member who joined a party.
            public struct \(type)Greeted: EventPayload, Equatable {
                public static let eventType = "\(name).greeted"
                /// Who joined.
                public var onlineId: String
                /// The party's name, from the engine's party projection.
                public var party: String
                /// The greeting.
                public var text: String
            }

            /// Greets each member who joins a party (`party.member_joined`) with an event of its own.
            public actor \(type): LoadablePlugin {
                public static let name = "\(name)"
                public static let defaultEvents = ["party.member_joined"]

                /// `options:` of its entry in the configuration.
                struct Options: Decodable {
                    /// The greeting (default "welcome").
                    var greeting: String?
                }

                private let context: any PluginContext
                private let greeting: String

                public init(context: any PluginContext, options: PluginOptions) async throws {
                    self.context = context
                    greeting = try options.decode(Options.self, plugin: context.pluginName).greeting ?? "welcome"
                }

                public func handle(_ event: Event) async throws {
                    guard event.type == PartyMemberJoined.eventType else { return }
                    // The member object is under `member` (docs/events.md): decode the typed payload.
                    let joined = try event.decode(PartyMemberJoined.self)
                    let who = joined.member.onlineId ?? joined.member.accountId
                    let party = await context.party(joined.sessionId)?.name ?? joined.sessionId
                    try await context.publish(\(type)Greeted(onlineId: who, party: party, text: "\\(greeting), \\(who)"))
                }
            }

            """
        if entry {
            text += """

                /// The symbol the engine looks up in the `.so` (docs/plugins.md).
                @_cdecl("partybus_plugin_entry")
                public func partybusPluginEntry() -> UnsafeRawPointer {
                    DynamicPluginExport.entry(for: \(type).self)
                }

                """
        }
        return text
    }

    /// The plugin's own test, with the fake context of `PartyBusPluginTesting`.
    static func swiftTest(name: String, type: String, module: String) -> String {
        """
        import PartyBusPluginAPI
        import PartyBusPluginTesting
        import Testing
        @testable import \(module)

        @Suite("\(type)")
        struct \(type)Tests {
            @Test("greets a member who joins, naming the party from the projection")
            func greets() async throws {
                let context = try FakePluginContext(pluginName: "\(name)")
                context.setParties([PartyView(sessionId: "s1", name: "Friday night")])
                let plugin = try await \(type)(context: context, options: PluginOptions(.object(["greeting": .string("hi")])))
                let joined = try context.event(
                    PartyMemberJoined(sessionId: "s1", member: PartyMember(accountId: "2", onlineId: "alice")), stream: "party/s1")
                try await context.deliver(joined, to: plugin)

                let greeted = try #require(context.published.first)
                #expect(greeted.type == "\(name).greeted")
                #expect(greeted.correlation == "seq:\\(joined.seq)")
                let payload = try greeted.decode(\(type)Greeted.self)
                #expect(payload.onlineId == "alice" && payload.party == "Friday night" && payload.text == "hi, alice")
            }
        }

        """
    }

    /// A `.so` plugin's package manifest: it depends on the PartyBus plugin SDK package only (swift-log and the API).
    static func libraryManifest(type: String, sdkPath: String) -> String {
        """
        // swift-tools-version:6.1
        import PackageDescription

        let package = Package(
            name: "\(type)",
            platforms: [.macOS(.v15)],
            products: [
                // The .so the engine loads: `library: .build/debug/lib\(type).so` in the configuration.
                .library(name: "\(type)", type: .dynamic, targets: ["\(type)"]),
            ],
            dependencies: [
                // The plugin API and its testing helper, and nothing else of PartyBus. `package:` below is this
                // folder's name.
                .package(path: "\(sdkPath)"),
            ],
            targets: [
                .target(name: "\(type)", dependencies: [.product(name: "PartyBusPluginAPI", package: "PluginSDK")]),
                .testTarget(
                    name: "\(type)Tests",
                    dependencies: ["\(type)", .product(name: "PartyBusPluginTesting", package: "PluginSDK")]),
            ],
            swiftLanguageModes: [.v6]
        )

        """
    }

    /// An exec hook in Python: one JSON event per line in, one JSON draft per line out — flushed at once.
    static func execHook(name: String) -> String {
        """
        #!/usr/bin/env python3
        \"\"\"PartyBus exec hook '\(name)': greets each member who joins a party.

        PartyBus writes each event as one JSON line on stdin (the `partybus events export --jsonl` form). Every line
        printed on stdout that is a JSON object {"type": ..., "payload": {...}} is published (stream plugin/\(name),
        correlation seq:N of the event being handled). Flush after each line: a block-buffered stdout (Python's,
        when it is a pipe) publishes nothing until the buffer fills or the hook exits. stderr goes to the engine log.
        \"\"\"
        import json
        import os
        import sys

        GREETING = os.environ.get("GREETING", "welcome")

        for line in sys.stdin:
            event = json.loads(line)
            if event["type"] != "party.member_joined":
                continue
            member = event["payload"]["member"]  # the member object (docs/events.md)
            who = member.get("onlineId") or member["accountId"]
            draft = {
                "type": "\(name).greeted",
                "payload": {"onlineId": who, "text": f"{GREETING}, {who}"},
                # Optional: without it the engine correlates the draft to the last event it sent the hook.
                "correlation": f"seq:{event['seq']}",
            }
            print(json.dumps(draft), flush=True)

        """
    }

    /// Sample events for `plugins test` (the `events export --jsonl` form).
    static let sampleEvents = """
        {"seq":1,"at":1795384512000,"stream":"party/s1","type":"party.created","version":1,"source":"sim","correlation":null,"payload":{"maxMembers":16,"sessionId":"s1","sessionName":"Friday night"}}
        {"seq":2,"at":1795384513000,"stream":"party/s1","type":"party.member_joined","version":1,"source":"sim","correlation":null,"payload":{"member":{"accountId":"2000000000000000002","joinOrder":2,"onlineId":"sim-alice","platform":"PS5"},"sessionId":"s1"}}
        {"seq":3,"at":1795384514000,"stream":"party/s1","type":"party.member_left","version":1,"source":"sim","correlation":null,"payload":{"accountId":"2000000000000000002","onlineId":"sim-alice","sessionId":"s1"}}

        """

    /// The configuration entry for the plugin, as a whole file `plugins test` can read.
    static func config(name: String, entryLine: String, options: String) -> String {
        """
        # Try it: partybus plugins test \(name) --config partybus.yaml --events events.jsonl
        # Then copy the entry into your own configuration (docs/configuration.md).
        plugins:
          \(name):
            \(entryLine)
            events: ["party.member_joined"]
            options: \(options)

        """
    }

    /// The exec hook's own test: `plugins test` on the sample events, then a check of what it printed.
    static func execTest(name: String) -> String {
        """
        #!/bin/sh
        # The hook's own test: feed it the sample events and check the greeting it publishes.
        set -eu
        cd "$(dirname "$0")"
        out=$("${PARTYBUS:-partybus}" plugins test \(name) --config partybus.yaml --events events.jsonl)
        printf '%s\\n' "$out"
        printf '%s\\n' "$out" | grep -q 'published \(name).greeted {"onlineId":"sim-alice","text":"hi, sim-alice"}'
        echo "ok: \(name) greeted sim-alice"

        """
    }
}
