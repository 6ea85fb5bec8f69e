// swift-tools-version:6.0
// Dialtone — telephony board driver and real-time switching daemon.
// SPDX-License-Identifier: GPL-2.0-or-later
import PackageDescription

let package = Package(
    name: "Dialtone",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dialtone", targets: ["dialtone"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // C shims: thin, no logic (docs/ARCHITECTURE.md §CShims).
        .target(name: "CPRI", path: "CShims/CPRI",
                linkerSettings: [.linkedLibrary("pri")]),
        // dahdi/user.h is extracted into include/dahdi by `make deps` (not committed).
        .target(name: "CDAHDI", path: "CShims/CDAHDI"),
        .target(name: "CSpanDSP", path: "CShims/CSpanDSP",
                linkerSettings: [.linkedLibrary("spandsp"), .linkedLibrary("tiff")]),
        .target(name: "CSystem", path: "CShims/CSystem", linkerSettings: [.linkedLibrary("crypt")]),
        .target(name: "CALSA", path: "CShims/CALSA",
                linkerSettings: [.linkedLibrary("asound")]),

        // Layers, bottom up.
        .target(name: "DialtoneSpans", dependencies: [
            "CDAHDI",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "DialtoneSignalling", dependencies: [
            "CPRI", "DialtoneSpans",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "DialtoneMedia", dependencies: [
            "DialtoneSpans", "CSpanDSP", "CALSA",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "DialtoneConfig", dependencies: [
            "DialtoneSpans", "DialtoneSignalling", "DialtoneMedia", "DialtoneFax",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "DialtoneAlarms", dependencies: [
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The ACD's pure state (queues, agents, work items): Foundation only.
        .target(name: "DialtoneACD"),
        // Fax jobs as a pure scheduler (Foundation only), and the fax documents:
        // TIFF checks with libtiff (through CSpanDSP's header), ghostscript and tiff2pdf.
        .target(name: "DialtoneFax", dependencies: ["CSpanDSP"]),
        .target(name: "DialtoneStore", dependencies: [
            "DialtoneSwitch", "DialtoneConfig", "DialtoneACD", "DialtoneFax", "DialtoneAlarms", "CSystem",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "DialtoneSwitch", dependencies: [
            "DialtoneSpans", "DialtoneSignalling", "DialtoneMedia", "DialtoneConfig", "DialtoneAlarms",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "DialtoneApps", dependencies: [
            "DialtoneConfig", "DialtoneSignalling", "DialtoneSwitch", "DialtoneACD", "DialtoneMedia", "CSystem", "DialtoneFax",
        ]),
        .target(name: "DialtoneLineSim", dependencies: [
            "DialtoneSpans", "DialtoneSignalling", "DialtoneMedia",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "DialtoneDaemon", dependencies: [
            "DialtoneSpans", "DialtoneSignalling", "DialtoneMedia", "DialtoneConfig",
            "DialtoneStore", "DialtoneSwitch", "DialtoneApps", "DialtoneLineSim", "DialtoneAlarms", "DialtoneACD", "DialtoneFax",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        // Test tooling the CLI and the tests share: loopback scenarios, the load
        // generator, the IVR walker, line-test rig, benchmark drivers.
        .target(name: "DialtoneTestKit", dependencies: [
            "DialtoneDaemon", "DialtoneSpans", "DialtoneSignalling", "DialtoneMedia", "DialtoneConfig",
            "DialtoneStore", "DialtoneSwitch", "DialtoneLineSim", "CSpanDSP",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "dialtone", dependencies: [
            "DialtoneDaemon", "DialtoneTestKit", "DialtoneConfig", "DialtoneLineSim", "DialtoneMedia", "DialtoneStore", "DialtoneACD", "DialtoneFax",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        .testTarget(name: "DialtoneMediaTests", dependencies: ["DialtoneMedia", "DialtoneSpans", "CSpanDSP", "CAllocationCounter", "DialtoneTestKit",
                                                             "DialtoneLineSim",  // the Q.24 battery's signals (Q24BatteryTests)
                                                             .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "DialtoneSpansTests", dependencies: ["DialtoneSpans", "CDAHDI"]),
        .testTarget(name: "DialtoneLineSimTests", dependencies: ["DialtoneLineSim", "DialtoneSpans", "CAllocationCounter"]),
        .testTarget(name: "DialtoneSignallingTests", dependencies: ["DialtoneSignalling", "DialtoneSpans"]),
        .testTarget(name: "DialtoneConfigTests", dependencies: ["DialtoneConfig", "DialtoneFax"]),
        .testTarget(name: "DialtoneSwitchTests", dependencies: ["DialtoneSwitch", "DialtoneSignalling", "DialtoneConfig", "DialtoneMedia"]),
        .testTarget(name: "DialtoneACDTests", dependencies: ["DialtoneACD"]),
        .testTarget(name: "DialtoneFaxTests", dependencies: ["DialtoneFax", "CSpanDSP"]),
        .testTarget(name: "DialtoneAppsTests", dependencies: ["DialtoneApps", "DialtoneSwitch", "DialtoneConfig", "DialtoneFax", "DialtoneMedia"]),
        .testTarget(name: "DialtoneStoreTests", dependencies: ["DialtoneStore", "DialtoneSwitch", "DialtoneAlarms", "DialtoneConfig", "DialtoneACD", "DialtoneFax",
                                                             .product(name: "Logging", package: "swift-log"), .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "DialtoneEndToEndTests", dependencies: [
            "DialtoneDaemon", "DialtoneTestKit", "DialtoneLineSim", "DialtoneSwitch", "DialtoneConfig", "DialtoneStore",
            "DialtoneSpans", "DialtoneSignalling", "DialtoneMedia", "DialtoneACD", "DialtoneApps", "DialtoneFax",
        ]),
    ]
)
