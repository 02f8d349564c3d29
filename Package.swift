// swift-tools-version: 6.0
import PackageDescription

/// Every target builds in Swift 6 mode with strict concurrency; `ExistentialAny`
/// makes every existential spelled out.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "swarmstage",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "swarmstage", targets: ["swarmstage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Inventory: the operator's file -> typed, validated model (file:line:column errors).
        .target(
            name: "Inventory",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // Compose: the compose-file model and its deterministic YAML writer.
        .target(
            name: "Compose",
            swiftSettings: strictSettings
        ),
        // Blueprint: the Milvus 2.3 topology, inventory -> stages of compose files and configs.
        .target(
            name: "Blueprint",
            dependencies: ["Inventory", "Compose"],
            swiftSettings: strictSettings
        ),
        // SwarmstageCLI: argument parsing, one subcommand per file, exit codes in one place.
        .target(
            name: "SwarmstageCLI",
            dependencies: [
                "Inventory", "Compose", "Blueprint",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "swarmstage",
            dependencies: ["SwarmstageCLI"],
            swiftSettings: strictSettings
        ),
        // Shared by the test targets: repository paths and inventories.
        .target(
            name: "TestSupport",
            dependencies: ["Inventory"],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "InventoryTests",
            dependencies: ["Inventory", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ComposeTests",
            dependencies: ["Compose", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BlueprintTests",
            dependencies: ["Blueprint", "Inventory", "Compose", "TestSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SwarmstageCLITests",
            dependencies: ["SwarmstageCLI", "Blueprint", "Inventory", "TestSupport"],
            swiftSettings: strictSettings
        ),
    ]
)
