// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "minifltd",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MiniFltWire", targets: ["MiniFltWire"]),
        .library(name: "MiniFltServer", targets: ["MiniFltServer"]),
        .library(name: "MiniFltClient", targets: ["MiniFltClient"]),
        .executable(name: "minifltd", targets: ["minifltd"]),
        .executable(name: "minifltctl", targets: ["minifltctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // Linux calls Glibc does not import (epoll, accept4, struct ucred, timerfd, eventfd).
        .target(name: "CMiniFltPosix"),
        // Sockets, descriptors, threads and locks shared by the server and the client.
        .target(
            name: "MiniFltPosix",
            dependencies: ["CMiniFltPosix", "MiniFltWire"]
        ),
        // The wire format, NTSTATUS/HRESULT and port naming: pure values, no I/O.
        .target(name: "MiniFltWire"),
        // SDDL parsing and access checks against peer credentials: pure values, no I/O.
        .target(name: "MiniFltPermissions"),
        // The server port (FltCreateCommunicationPort and friends).
        .target(
            name: "MiniFltServer",
            dependencies: [
                "MiniFltWire", "MiniFltPermissions", "MiniFltPosix",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // The client side (FilterConnectCommunicationPort and friends).
        .target(name: "MiniFltClient", dependencies: ["MiniFltWire", "MiniFltPosix"]),
        // Logging that never makes the caller wait: a bounded queue with a writer thread, the console
        // writer, escaping of logged values, and the line budget that keeps the journal from flooding.
        .target(
            name: "MiniFltLogging",
            dependencies: [
                "MiniFltPosix",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // libsystemd (Debian: libsystemd-dev).
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // The systemd glue: readiness and watchdog notification, socket activation, the journal's writer.
        .target(
            name: "MiniFltSystemd",
            dependencies: ["CSystemd", "MiniFltLogging", "MiniFltPosix", .product(name: "Logging", package: "swift-log")]
        ),
        // The daemon: the seed's example filter on a server port.
        .executableTarget(
            name: "minifltd",
            dependencies: [
                "MiniFltServer", "MiniFltWire", "MiniFltPermissions", "MiniFltPosix", "MiniFltSystemd", "MiniFltLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The command-line client.
        .executableTarget(
            name: "minifltctl",
            dependencies: [
                "MiniFltClient", "MiniFltWire", "MiniFltPosix",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzzing (Fuzz/): the targets' bodies, which the tests also run over the saved inputs, and one libFuzzer
        // entry that `make fuzz` builds with -sanitize=fuzzer (elsewhere it replays files).
        .target(
            name: "MiniFltFuzzing",
            dependencies: ["MiniFltWire", "MiniFltPermissions", "MiniFltClient", "MiniFltPosix"],
            path: "Fuzz/Targets"
        ),
        .executableTarget(name: "minifltfuzz", dependencies: ["MiniFltFuzzing"], path: "Fuzz/Entry"),
        .testTarget(name: "MiniFltWireTests", dependencies: ["MiniFltWire"]),
        .testTarget(name: "MiniFltFuzzingTests", dependencies: ["MiniFltFuzzing"]),
        .testTarget(name: "MiniFltPermissionsTests", dependencies: ["MiniFltPermissions"]),
        .testTarget(
            name: "MiniFltServerTests",
            dependencies: [
                "MiniFltServer", "MiniFltClient", "MiniFltWire", "MiniFltPermissions", "MiniFltPosix", "CMiniFltPosix",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "MiniFltSystemdTests",
            dependencies: ["MiniFltSystemd", "MiniFltServer", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "MiniFltLoggingTests",
            dependencies: ["MiniFltLogging", "MiniFltPosix", "MiniFltWire", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["MiniFltClient", "MiniFltWire", "MiniFltPosix", "CMiniFltPosix", "MiniFltServer"]
        ),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
