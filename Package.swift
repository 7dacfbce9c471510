// swift-tools-version:6.1
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode plus the upcoming features Hummingbird uses.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "PartyBus",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "partybus", targets: ["partybus"]),
        .library(name: "PartyBusPluginAPI", targets: ["PartyBusPluginAPI"]),
        .library(name: "PartyBusCore", targets: ["PartyBusCore"]),
        /// A fake `PluginContext` for plugins' own tests.
        .library(name: "PartyBusPluginTesting", targets: ["PartyBusPluginTesting"]),
        /// The example third-party plugin, built as a shared object that the engine loads with dlopen.
        .library(name: "PartyBusExamplePlugin", type: .dynamic, targets: ["ExamplePlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C bindings
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CWebsockets", path: "Sources/CWebsockets", pkgConfig: "libwebsockets",
                       providers: [.apt(["libwebsockets-dev"])]),
        .systemLibrary(name: "CGStreamer", path: "Sources/CGStreamer", pkgConfig: "gstreamer-1.0",
                       providers: [.apt(["libgstreamer1.0-dev"])]),
        .target(name: "CPartyBusShims", path: "Sources/CPartyBusShims"),

        // The plugin API: the only thing a plugin (built-in, dynamic or scripted) links against.
        .target(
            name: "PartyBusPluginAPI",
            dependencies: ["CPartyBusShims", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // The plugin testing helper: a fake PluginContext (depends on the plugin API only).
        .target(
            name: "PartyBusPluginTesting",
            dependencies: ["PartyBusPluginAPI"],
            swiftSettings: strictSettings
        ),
        // Event log, bus, plugin host, config, projections.
        .target(
            name: "PartyBusCore",
            dependencies: [
                "CSQLite", "CPartyBusShims", "PartyBusPluginAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),

        // The PSN client: HTTP over libcurl, auth, sessionManager, push (psn-protocol.md A, B, E, F).
        .target(
            name: "PSN",
            dependencies: [
                "PartyBusCore", "CSQLite", "CCurl", "CWebsockets", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),

        // Voice: YAML audio graphs on GStreamer (issue 5; so far the graph format and its validation).
        .target(
            name: "Voice",
            dependencies: ["PartyBusCore", "CGStreamer", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),

        // Party voice: member-to-member WebRTC over miranda:12, the rtcBridge uplink, controls, voice.* events.
        .target(
            name: "PartyVoice",
            dependencies: ["PSN", "Voice", "PartyBusCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),

        // The offline PSN simulator (psn-protocol.md section H): auth, sessionManager, push, fault switches.
        .target(
            name: "PSNSimulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // Real media for the simulator (docs/simulator.md "Media"): scripted members and bridge peers as webrtcbin
        // peers that send tones and record what they hear. Kept out of PSNSimulator so that stays GStreamer-free.
        .target(
            name: "PSNSimulatorMedia",
            dependencies: ["PSNSimulator", "Voice", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),

        // Serverless P2P party mode (issue 13): STUN, party tokens, Noise-IK handshake + AEAD, punching, TURN, mesh.
        .target(
            name: "P2P",
            dependencies: [
                "PartyBusPluginAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // Network namespaces with NAT routers and coturn, for the P2P tests and `partybus bench p2p` (needs root).
        .target(
            name: "P2PLab",
            dependencies: ["P2P"],
            swiftSettings: strictSettings
        ),

        // The daemon: the single writer of a data folder's log, its services and the control API (HTTP + JSON).
        .target(
            name: "PartyBusDaemon",
            dependencies: [
                "PartyBusCore", "PSN", "PSNSimulator", "PSNSimulatorMedia", "PartyVoice", "Voice", "P2P", "AutoRecord",
                "CPartyBusShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("WebUI/Assets")],
            swiftSettings: strictSettings
        ),

        // Built-in plugins.
        .target(
            name: "ExecHooks",
            dependencies: ["PartyBusPluginAPI", .product(name: "Logging", package: "swift-log")],
            path: "Plugins/ExecHooks",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Webhook",
            dependencies: ["PartyBusPluginAPI", .product(name: "Crypto", package: "swift-crypto")],
            path: "Plugins/Webhook",
            swiftSettings: strictSettings
        ),
        // Records party voice from the voice taps: Ogg Opus per speaker, the mic, the mix (issue 11).
        .target(
            name: "AutoRecord",
            dependencies: ["PartyBusPluginAPI"],
            path: "Plugins/AutoRecord",
            swiftSettings: strictSettings
        ),
        // Example of a third-party plugin, loaded at run time from its .so.
        .target(
            name: "ExamplePlugin",
            dependencies: ["PartyBusPluginAPI"],
            path: "Plugins/ExamplePlugin",
            swiftSettings: strictSettings
        ),

        // The command-line tool and daemon.
        .executableTarget(
            name: "partybus",
            dependencies: [
                "PartyBusCore", "PartyBusDaemon", "ExecHooks", "Webhook", "AutoRecord", "CSQLite", "PSN", "PSNSimulator", "PSNSimulatorMedia", "Voice", "PartyVoice", "P2P", "P2PLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                "CPartyBusShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "PartyBusTestSupport",
            dependencies: ["PartyBusCore", .product(name: "Logging", package: "swift-log")],
            path: "Tests/PartyBusTestSupport",
            swiftSettings: strictSettings
        ),
        // Fuzz targets for every parser of outside data (scripts/fuzz/run.sh builds it with libFuzzer; without
        // -DFUZZING it replays the corpora in Tests/Fixtures/fuzz-corpus, as the test suite does).
        .executableTarget(
            name: "partybus-fuzz",
            dependencies: ["PSN", "PartyBusCore", "PartyBusPluginAPI", "Voice", "P2P"],
            path: "Tests/Fuzz",
            swiftSettings: strictSettings
        ),
        // A test-only SQLite VFS that models a volatile disk cache, for the power-loss tests.
        .target(name: "CPowerCutVFS", dependencies: ["CSQLite"], path: "Tests/CPowerCutVFS"),
        .testTarget(
            name: "PartyBusCoreTests",
            dependencies: ["PartyBusCore", "PartyBusTestSupport", "CSQLite", "CPowerCutVFS"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PluginHostTests",
            dependencies: ["PartyBusCore", "PartyBusTestSupport", "ExecHooks", "Webhook", "PartyBusPluginTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["PartyBusCore", "PartyBusTestSupport", "PartyBusDaemon", "AutoRecord"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AutoRecordTests",
            dependencies: ["AutoRecord", "PartyBusTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VoiceTests",
            dependencies: ["Voice", "PartyBusTestSupport"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PSNTestSupport",
            dependencies: ["PSN", "PSNSimulator", "PartyBusTestSupport", .product(name: "Logging", package: "swift-log")],
            path: "Tests/PSNTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PSNTests",
            dependencies: ["PSN", "PSNSimulator", "PartyBusTestSupport", "PSNTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PartyBusDaemonTests",
            dependencies: [
                "PartyBusDaemon", "PartyBusCore", "PSN", "PSNSimulator", "PartyBusTestSupport", "PSNTestSupport", "AutoRecord",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PartyVoiceTests",
            dependencies: ["PartyVoice", "Voice", "PSN", "PSNSimulator", "PSNSimulatorMedia", "PartyBusTestSupport", "PSNTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PSNSimulatorMediaTests",
            dependencies: [
                "PSNSimulatorMedia", "PSNSimulator", "Voice", "PartyBusTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "P2PTests",
            dependencies: ["P2P", "P2PLab", "PartyBusTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PSNSimulatorTests",
            dependencies: [
                "PSNSimulator", "PartyBusTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
