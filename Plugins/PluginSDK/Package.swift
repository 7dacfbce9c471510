// swift-tools-version:6.1
import PackageDescription

/// The PartyBus plugin SDK: only what a plugin links — the plugin API, its C ABI header and the testing helper — so
/// a plugin's package resolves swift-log and nothing else of PartyBus's dependencies. The sources are PartyBus's own
/// (`Sources/PartyBusPluginAPI`, `Sources/CPartyBusShims`, `Sources/PartyBusPluginTesting`, linked here), so the SDK
/// can never drift from the engine it was checked out with. Depend on it by path:
///
///     .package(path: "/path/to/partybus/Plugins/PluginSDK"),
///     .product(name: "PartyBusPluginAPI", package: "PluginSDK"),
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "PluginSDK",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PartyBusPluginAPI", targets: ["PartyBusPluginAPI"]),
        .library(name: "PartyBusPluginTesting", targets: ["PartyBusPluginTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CPartyBusShims", path: "Sources/CPartyBusShims"),
        .target(
            name: "PartyBusPluginAPI",
            dependencies: ["CPartyBusShims", .product(name: "Logging", package: "swift-log")],
            path: "Sources/PartyBusPluginAPI",
            swiftSettings: strictSettings
        ),
        .target(
            name: "PartyBusPluginTesting",
            dependencies: ["PartyBusPluginAPI"],
            path: "Sources/PartyBusPluginTesting",
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
