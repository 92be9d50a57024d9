// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "DocRecon",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "docrecon", targets: ["docrecon"]),
        .library(name: "DocRecon", targets: ["DocRecon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C boundary: one system-library shim per library (module map + one header).
        .systemLibrary(
            name: "CTesseract", path: "Sources/CTesseract", pkgConfig: "tesseract",
            providers: [.apt(["libtesseract-dev", "libleptonica-dev"])]),
        .systemLibrary(
            name: "CPoppler", path: "Sources/CPoppler", pkgConfig: "poppler-glib",
            providers: [.apt(["libpoppler-glib-dev", "libcairo2-dev"])]),
        .systemLibrary(
            name: "CXlsxWriter", path: "Sources/CXlsxWriter", pkgConfig: "xlsxwriter",
            providers: [.apt(["libxlsxwriter-dev"])]),
        .systemLibrary(
            name: "CIsal", path: "Sources/CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        .systemLibrary(
            name: "CSystemZlib", path: "Sources/CSystemZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // The one sqlite3_config call (variadic: Swift cannot make it), made before SQLite is used.
        .target(name: "CSQLiteConfig", path: "Sources/CSQLiteConfig", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Exact, faster pixOpenBrick/pixCloseBrick: Tesseract's line finder binds to them
        // (symbol interposition; every other case goes to Leptonica's own functions).
        .target(name: "CLeptFast", path: "Sources/CLeptFast", linkerSettings: [.linkedLibrary("lept")]),
        // SHA-256's compression function in C: the processor's SHA extensions where present.
        .target(name: "CSHA256", path: "Sources/CSHA256"),
        .target(
            name: "DocRecon",
            dependencies: [
                "CTesseract", "CPoppler", "CXlsxWriter", "CIsal", "CSystemZlib", "CSQLiteConfig", "CLeptFast", "CSHA256",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Release only: no run-time exclusivity checks (swift_beginAccess was ~6% of reconcile
            // in the byte-level writers and scanners); debug builds and tests keep them.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        .executableTarget(
            name: "docrecon",
            dependencies: [
                "DocRecon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "DocReconTests",
            dependencies: ["DocRecon", "CLeptFast", "CSHA256", "CTesseract", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            resources: [.copy("Fixtures")]),
    ]
)
