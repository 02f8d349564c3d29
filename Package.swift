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
        // YAMLSource: reads YAML with exact locations; diagnostics as file:line:column.
        .target(
            name: "YAMLSource",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // Inventory: the operator's file -> typed, validated model (file:line:column errors).
        .target(
            name: "Inventory",
            dependencies: ["YAMLSource", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // Compose: the compose-file model and its deterministic YAML writer.
        .target(
            name: "Compose",
            swiftSettings: strictSettings
        ),
        // SwarmModel: what a swarm holds, typed and pure (no transport): the Engine's wire models,
        // states, timestamps, filters, placement constraints, errors by kind, and `SwarmAPI`,
        // the protocol everything above the Engine client is written against.
        .target(
            name: "SwarmModel",
            exclude: ["Models/README.md"],
            swiftSettings: strictSettings
        ),
        // Blueprint: the Milvus 2.3 topology, inventory -> stages of compose files and configs.
        .target(
            name: "Blueprint",
            dependencies: ["YAMLSource", "Inventory", "Compose", "SwarmModel"],
            swiftSettings: strictSettings
        ),
        // The libcurl system library and a typed shim over its variadic setopt.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "CurlShim",
            dependencies: ["CCurl"]
        ),
        // OpenSSL's libcrypto (libssl-dev; libcurl links it already): scrypt and random bytes.
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // SecretDigest: a slow, salted fingerprint of a credential (scrypt), to tell a rotated value.
        .target(
            name: "SecretDigest",
            dependencies: ["CCrypto"],
            swiftSettings: strictSettings
        ),
        // CurlTransport: HTTP/1.1 over a Unix socket, requests and streams, off the cooperative pool.
        .target(
            name: "CurlTransport",
            dependencies: ["CurlShim"],
            swiftSettings: strictSettings
        ),
        // Engine: the Docker Engine API client over curl (negotiation, requests, streams); implements SwarmAPI.
        .target(
            name: "Engine",
            dependencies: ["CurlTransport", "SwarmModel"],
            swiftSettings: strictSettings
        ),
        // Rollout: plans and applies against a swarm (any SwarmAPI): node labels, stages, health.
        .target(
            name: "Rollout",
            dependencies: ["YAMLSource", "Inventory", "Compose", "Blueprint", "SwarmModel", "StackConvert", "SecretDigest"],
            swiftSettings: strictSettings
        ),
        // Probe: availability during a change: steady requests through milvus-lb (gRPC CheckHealth) and
        // minio-lb (cluster health), failures counted, quorum families sampled.
        .target(
            name: "Probe",
            dependencies: ["CurlTransport"],
            swiftSettings: strictSettings
        ),
        // StackConvert: stack files -> compose model (loader) -> Engine specs, with the docker CLI's semantics. Pure.
        .target(
            name: "StackConvert",
            dependencies: ["YAMLSource", "Compose", "SwarmModel", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // SwarmstageCLI: argument parsing, one subcommand per file, exit codes in one place.
        .target(
            name: "SwarmstageCLI",
            dependencies: [
                "YAMLSource", "Inventory", "Compose", "Blueprint", "SwarmModel", "Engine", "StackConvert", "Rollout", "Probe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // standin: the lab's stand-in for every image (Foundation-free, built static by scripts/lab-images).
        .executableTarget(
            name: "standin",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "swarmstage",
            dependencies: ["SwarmstageCLI"],
            swiftSettings: strictSettings
        ),
        // Shared by the test targets: repository paths, inventories, the lab, and FakeSwarm.
        .target(
            name: "TestSupport",
            dependencies: ["Inventory", "SwarmModel", "Rollout"],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "InventoryTests",
            dependencies: ["Inventory", "YAMLSource", "TestSupport"],
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
            dependencies: ["Blueprint", "Inventory", "Compose", "SwarmModel", "TestSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CurlTransportTests",
            dependencies: ["CurlTransport", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SwarmModelTests",
            dependencies: ["SwarmModel", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EngineTests",
            dependencies: ["Engine", "SwarmModel", "CurlTransport", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StackConvertTests",
            dependencies: ["StackConvert", "Compose", "SwarmModel", "Blueprint", "YAMLSource", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RolloutTests",
            dependencies: ["Rollout", "SwarmModel", "Engine", "CurlTransport", "Inventory", "Blueprint", "StackConvert", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SecretDigestTests",
            dependencies: ["SecretDigest"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProbeTests",
            dependencies: ["Probe", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SwarmstageCLITests",
            dependencies: ["SwarmstageCLI", "Blueprint", "SwarmModel", "StackConvert", "Engine", "CurlTransport", "Inventory", "Rollout", "TestSupport"],
            swiftSettings: strictSettings
        ),
    ]
)
