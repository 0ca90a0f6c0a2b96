// swift-tools-version:6.1
// MotCua: the one-stop-shop federation. See docs/ARCHITECTURE.md for the layout.

import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "motcua",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "motcua", targets: ["motcua"]),
        .library(name: "MotCuaCore", targets: ["MotCuaCore"]),
        .library(name: "MotCuaStore", targets: ["MotCuaStore"]),
        .library(name: "MotCuaNode", targets: ["MotCuaNode"]),
        .library(name: "MotCuaProtocol", targets: ["MotCuaProtocol"]),
        .library(name: "MotCuaAPI", targets: ["MotCuaAPI"]),
        .library(name: "MotCuaSecurity", targets: ["MotCuaSecurity"]),
        .library(name: "MotCuaTopology", targets: ["MotCuaTopology"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "MotCuaCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MotCuaProtocol",
            dependencies: ["MotCuaCore"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MotCuaSecurity",
            dependencies: [
                "MotCuaCore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MotCuaTopology",
            dependencies: ["MotCuaCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // A C shim for the one SQLite setting Swift cannot reach (`sqlite3_config` is variadic).
        .target(
            name: "CMotCuaSQLite",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        .target(
            name: "MotCuaStore",
            dependencies: [
                "MotCuaCore", "MotCuaProtocol", "CMotCuaSQLite", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // The API's contract, typed once: the node's and the national API's request and answer types, written
        // by the servers and read by `APIClient` (the command line, the benchmarks, the tests).
        .target(
            name: "MotCuaAPI",
            dependencies: [
                "MotCuaCore", "MotCuaProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // What the node's and the hub's servers share: problem+json (the one error answer), JSON answers,
        // TLS connections (HTTP/2 and HTTP/1.1, files re-read when they change), memory trimming.
        .target(
            name: "MotCuaHTTP",
            dependencies: [
                "MotCuaCore", "MotCuaAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MotCuaNode",
            dependencies: [
                "MotCuaCore", "MotCuaStore", "MotCuaProtocol", "MotCuaSecurity", "MotCuaHTTP", "MotCuaAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MotCuaHub",
            dependencies: [
                "MotCuaCore", "MotCuaProtocol", "MotCuaStore", "MotCuaSecurity", "MotCuaHTTP", "MotCuaAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Starting, recording and stopping a local federation's processes: `motcua up` and the integration tests.
        .target(
            name: "MotCuaLauncher",
            dependencies: [
                "MotCuaSecurity", "MotCuaTopology",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "motcua",
            dependencies: [
                "MotCuaCore", "MotCuaStore", "MotCuaNode", "MotCuaHub", "MotCuaSecurity", "MotCuaTopology", "MotCuaProtocol", "MotCuaLauncher",
                "MotCuaAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Load and baseline tools for scripts/bench-intake; not shipped in a node.
        .executableTarget(
            name: "motcua-bench",
            dependencies: [
                "MotCuaCore", "MotCuaProtocol", "MotCuaStore", "MotCuaAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Helpers shared by the test modules (waiting on processes and conditions); not shipped.
        .target(name: "MotCuaTestSupport", path: "Tests/MotCuaTestSupport", swiftSettings: strictSettings),
        // The whole federation in one process on a simulated clock and network (test support, not shipped).
        .target(
            name: "MotCuaSimulation",
            dependencies: [
                "MotCuaCore", "MotCuaProtocol", "MotCuaStore", "MotCuaNode", "MotCuaHub", "MotCuaAPI",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/MotCuaSimulation", swiftSettings: strictSettings
        ),
        .testTarget(name: "SimulationTests", dependencies: ["MotCuaSimulation"], swiftSettings: strictSettings),
        .testTarget(name: "MotCuaCoreTests", dependencies: ["MotCuaCore"], swiftSettings: strictSettings),
        .testTarget(name: "MotCuaProtocolTests", dependencies: ["MotCuaProtocol", "MotCuaCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "MotCuaSecurityTests",
            dependencies: [
                "MotCuaSecurity", .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MotCuaHubTests",
            dependencies: [
                "MotCuaHub", "MotCuaSecurity", "MotCuaCore", "MotCuaProtocol", "MotCuaTestSupport", "MotCuaAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "MotCuaTopologyTests", dependencies: ["MotCuaTopology", "MotCuaCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "MotCuaStoreTests",
            dependencies: ["MotCuaStore", "MotCuaCore", "MotCuaProtocol", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MotCuaNodeTests",
            dependencies: [
                "MotCuaNode", "MotCuaStore", "MotCuaCore", "MotCuaTestSupport", "MotCuaAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Real `motcua` processes on loopback; depends on the executable so that `swift test` builds it.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "motcua", "MotCuaCore", "MotCuaStore", "MotCuaSecurity", "MotCuaTestSupport", "MotCuaLauncher", "MotCuaTopology", "MotCuaAPI",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
