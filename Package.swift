// swift-tools-version:6.0
import PackageDescription

// The OCR libraries (tesseract, lept, poppler-glib, cairo, gobject, glib) are loaded at their first
// use, not at every start (Sources/COCRLibs): their module maps link nothing, and the headers of
// poppler-glib need glib's and cairo's folders (what `pkg-config --cflags poppler-glib` gives:
// a systemLibrary's pkgConfig would add its -l flags too). Where COCRLibs has no stubs (other
// than x86-64 and aarch64 Linux), the libraries are linked as before (and the aarch64 stubs are
// assembled but have not been run: if they misbehave there, link as in the #else below).
#if os(Linux) && arch(x86_64)
let multiarch = "x86_64-linux-gnu"
let ocrLibsLinked: [LinkerSetting] = []
#elseif os(Linux) && arch(arm64)
let multiarch = "aarch64-linux-gnu"
let ocrLibsLinked: [LinkerSetting] = []
#else
let multiarch = "unknown"
let ocrLibsLinked: [LinkerSetting] = ["tesseract", "lept", "poppler-glib", "gobject-2.0", "glib-2.0", "cairo"]
    .map { LinkerSetting.linkedLibrary($0) }
#endif
let ocrHeaderFolders = ["/usr/include/poppler/glib", "/usr/include/glib-2.0", "/usr/lib/\(multiarch)/glib-2.0/include",
                        "/usr/include/cairo"]
/// For every Swift target that imports CPoppler, directly or through DocRecon.
let ocrHeaders: SwiftSetting = .unsafeFlags(ocrHeaderFolders.flatMap { ["-Xcc", "-I\($0)"] })
/// CLeptFast's Leptonica functions, exported by the executable (only they: exporting everything
/// slows every start) so that the libraries loaded later bind to them.
let leptFastExports: LinkerSetting = .unsafeFlags(
    ["pixOpenBrick", "pixCloseBrick", "pixErodeBrick", "pixDilateBrick", "pixWriteMem", "pixRotateAMGray"]
        .flatMap { ["-Xlinker", "--export-dynamic-symbol=\($0)"] })

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
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C boundary: one system-library shim per library (module map + one header).
        // CTesseract and CPoppler: headers only (COCRLibs provides the functions).
        .systemLibrary(
            name: "CTesseract", path: "Sources/CTesseract",
            providers: [.apt(["libtesseract-dev", "libleptonica-dev"])]),
        .systemLibrary(
            name: "CPoppler", path: "Sources/CPoppler",
            providers: [.apt(["libpoppler-glib-dev", "libcairo2-dev"])]),
        // Every OCR-library function DocRecon calls, loading the libraries at the first call.
        .target(name: "COCRLibs", path: "Sources/COCRLibs",
                linkerSettings: ocrLibsLinked),
        .systemLibrary(
            name: "CXlsxWriter", path: "Sources/CXlsxWriter", pkgConfig: "xlsxwriter",
            providers: [.apt(["libxlsxwriter-dev"])]),
        .systemLibrary(
            name: "CIsal", path: "Sources/CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        // libcurl (HTTP, SFTP, SMTP for the daily run), loaded at its first use: headers only at
        // build time (libcurl4-openssl-dev), nothing linked.
        .target(name: "CCurl", path: "Sources/CCurl"),
        .systemLibrary(
            name: "CSystemZlib", path: "Sources/CSystemZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // The one sqlite3_config call (variadic: Swift cannot make it), made before SQLite is used.
        .target(name: "CSQLiteConfig", path: "Sources/CSQLiteConfig", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Exact, faster pixOpenBrick/pixCloseBrick: Tesseract's line finder binds to them
        // (symbol interposition; every other case goes to Leptonica's own functions).
        .target(name: "CLeptFast", dependencies: ["COCRLibs"], path: "Sources/CLeptFast"),
        .target(
            name: "DocRecon",
            dependencies: [
                "CTesseract", "CPoppler", "COCRLibs", "CXlsxWriter", "CIsal", "CSystemZlib", "CSQLiteConfig", "CLeptFast",
                "CCurl",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Release only: no run-time exclusivity checks (swift_beginAccess was ~6% of reconcile
            // in the byte-level writers and scanners); debug builds and tests keep them.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)), ocrHeaders]),
        .executableTarget(
            name: "docrecon",
            dependencies: [
                "DocRecon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [ocrHeaders],
            linkerSettings: [leptFastExports]),
        // Developer tools (measuring forms, looking at registrations): not the clerk's binary.
        .executableTarget(
            name: "docrecon-dev",
            dependencies: [
                "DocRecon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [ocrHeaders],
            linkerSettings: [leptFastExports]),
        // Fuzz targets (`make fuzz` builds them with libFuzzer; this build replays inputs).
        .executableTarget(
            name: "docrecon-fuzz",
            dependencies: [
                "DocRecon",
                .product(name: "Yams", package: "Yams"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: [ocrHeaders],
            linkerSettings: [leptFastExports]),
        .testTarget(
            name: "DocReconTests",
            dependencies: ["DocRecon", "CLeptFast", "CTesseract", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            resources: [.copy("Fixtures")],
            swiftSettings: [ocrHeaders],
            linkerSettings: [leptFastExports]),
    ]
)
