import Foundation
import Testing
@testable import DocRecon

/// The OCR libraries (tesseract, lept, poppler-glib, cairo, gobject, glib) are loaded at the first
/// call of one of their functions (Sources/COCRLibs), not at every start. With
/// DOCRECON_REPORT_LIBRARIES=1 the binary says on stderr what it has mapped when its command returns.
struct OCRLibrariesTests {
    static let ocrLibraries = ["libtesseract.", "liblept.", "libpoppler-glib.", "libcairo.", "libgobject-2.0.", "libglib-2.0."]

    /// The `libraries: ...` line: what is mapped, libgomp's thread limit, OMP_THREAD_LIMIT at start.
    static func report(_ stderr: String) -> [String: String]? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("libraries: ") }) else { return nil }
        var fields: [String: String] = [:]
        for part in line.dropFirst("libraries: ".count).split(separator: " ") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
        }
        return fields
    }

    /// The binary does not ask the dynamic loader for them at start (they are not DT_NEEDED).
    @Test func theBinaryDoesNotNeedTheOCRLibraries() throws {
        let elf = try TestSupport.runTool("/usr/bin/readelf", ["-d", TestSupport.binary.path])
        #expect(elf.status == 0)
        let needed = elf.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }.map(String.init)
        #expect(needed.contains { $0.contains("libsqlite3") }, "\(needed)")
        for lib in Self.ocrLibraries { #expect(!needed.contains { $0.contains("[\(lib)") }, "\(lib) in \(needed)") }
        #expect(OCRLibraries.loadedAtFirstUse)
    }

    /// Commands that never OCR run without mapping any of them (nor libgomp).
    @Test func commandsWithoutOCRNeverMapThem() throws {
        let dir = try TestSupport.tempDir("ocrlibs")
        let db = dir.appendingPathComponent("d.sqlite").path
        let ice = TestSupport.repoRoot.appendingPathComponent("Samples/ice/Export PRM 11-20-2026 Completed.xlsx").path
        let env = ["DOCRECON_REPORT_LIBRARIES": "1"]
        let runs = [
            try TestSupport.run(["--db", db, "import-ice", ice], env: env),
            try TestSupport.run(["--db", db, "reconcile", "--date", "2026-11-20", "--out", dir.path], env: env),
            try TestSupport.run(["--db", db, "ledger", "--json"], env: env),
        ]
        // The sample export has rows rejected on purpose (exit code 2).
        for (r, status) in zip(runs, [2, 0, 0] as [Int32]) {
            #expect(r.status == status, "\(r.stderr)")
            let report = try #require(Self.report(r.stderr), "\(r.stderr)")
            #expect(report["mapped"] == "none")
            #expect(report["omp_thread_limit"] == "-")
        }
        // --json still prints exactly one JSON document on stdout.
        let ledger = try JSONSerialization.jsonObject(with: Data(runs[2].stdout.utf8))
        #expect((ledger as? [Any])?.isEmpty == false)
    }

    /// An OCR command loads them at its first OCR call and recognises the page; OpenMP, loaded
    /// with libtesseract, honours OMP_THREAD_LIMIT=1 set inside the process (no re-execution:
    /// the process started without the variable).
    @Test func ocrLoadsThemAtFirstUseWithOneOpenMPThread() throws {
        let dir = try TestSupport.tempDir("ocrlibs")
        let db = dir.appendingPathComponent("d.sqlite").path
        let png = TestSupport.fixture("ocr/words.png")
        let ingest = try TestSupport.runTool("/usr/bin/env", [
            "-u", "OMP_THREAD_LIMIT", "DOCRECON_REPORT_LIBRARIES=1",
            TestSupport.binary.path, "--db", db, "ingest", "--no-extract", "--jobs", "1", png.path])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let report = try #require(Self.report(ingest.stderr), "\(ingest.stderr)")
        let mapped = report["mapped"] ?? ""
        for lib in Self.ocrLibraries + ["libgomp."] { #expect(mapped.contains(lib), "\(lib) not in \(mapped)") }
        #expect(report["omp_thread_limit"] == "1")
        #expect(report["omp_thread_limit_at_start"] == "unset")

        let words = try TestSupport.run(["--db", db, "words", "1", "--json"])
        #expect(words.status == 0)
        let read = try JSONSerialization.jsonObject(with: Data(words.stdout.utf8)) as? [[String: Any]] ?? []
        let texts = Set(read.compactMap { $0["text"] as? String })
        let truth = try SampleTruth.decode(Data(contentsOf: TestSupport.fixture("ocr/words.json")))
        let expected = try #require(truth.pages.first).words.map(\.text)
        #expect(expected.filter(texts.contains).count >= expected.count - 1, "\(texts) vs \(expected)")
    }

    /// A library that cannot be loaded: one line naming it and its Debian package on the user's
    /// stderr (fd 2 is gated at the default level), exit code 1. The binary is copied with
    /// cairo's file name changed to one that does not exist.
    @Test func aMissingLibraryIsOneLineAndExitCode1() throws {
        let dir = try TestSupport.tempDir("ocrlibs")
        var bytes = try Data(contentsOf: TestSupport.binary)
        let name = Data("libcairo.so.2\0".utf8), missing = Data("libcairo.so.0\0".utf8)
        let at = try #require(bytes.range(of: name))
        #expect(bytes[at.upperBound...].range(of: name) == nil)
        bytes.replaceSubrange(at, with: missing)
        let copy = dir.appendingPathComponent("docrecon")
        try bytes.write(to: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: copy.path)

        let db = dir.appendingPathComponent("d.sqlite").path
        let r = try TestSupport.runTool(copy.path, ["--db", db, "ingest", "--no-extract", TestSupport.fixture("ocr/words.png").path])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(lines.first?.contains("cannot load libcairo.so.0") == true, "\(r.stderr)")
        #expect(lines.first?.contains("Debian package libcairo2") == true, "\(r.stderr)")
        // Commands that never OCR still work with that binary.
        let ledger = try TestSupport.runTool(copy.path, ["--db", db, "ledger", "--json"])
        #expect(ledger.status == 0, "\(ledger.stderr)")
    }
}
