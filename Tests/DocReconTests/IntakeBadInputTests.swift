import Foundation
import GRDB
import Testing
@testable import DocRecon

/// Byte-level makers of broken inputs; nothing here is a real patient document.
enum BadInputs {
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let td = Array(type.utf8) + data
        return be32(UInt32(data.count)) + td + be32(crc32(td))
    }

    /// A valid PNG header that claims `w` × `h` 8-bit gray pixels, followed by too little data.
    static func pngClaiming(width w: UInt32, height h: UInt32) -> Data {
        let sig: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr = pngChunk("IHDR", be32(w) + be32(h) + [8, 0, 0, 0, 0])
        let idat = pngChunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
        return Data(sig + ihdr + idat + pngChunk("IEND", []))
    }

    /// A PNG whose header is fine but whose pixel data is garbage.
    static func corruptPNG() -> Data {
        let sig: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr = pngChunk("IHDR", be32(64) + be32(64) + [8, 0, 0, 0, 0])
        let idat = pngChunk("IDAT", [UInt8](repeating: 0xAB, count: 200))
        return Data(sig + ihdr + idat + pngChunk("IEND", []))
    }

    static func corruptJPEG() -> Data {
        Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
             + [UInt8](repeating: 0x5A, count: 300))
    }

    /// A two-page TIFF whose second page's pixel data is overwritten with garbage.
    static func tiffWithBrokenSecondPage(from pix: Pix, at url: URL) throws {
        #expect(pix.write(path: url.path, format: .tiff))
        #expect(pix.write(path: url.path, format: .tiff, appendPage: true))
        var bytes = [UInt8](try Data(contentsOf: url))
        let little = bytes[0] == 0x49
        func u16(_ o: Int) -> Int { little ? Int(bytes[o]) | Int(bytes[o + 1]) << 8 : Int(bytes[o]) << 8 | Int(bytes[o + 1]) }
        func u32(_ o: Int) -> Int { little ? u16(o) | u16(o + 2) << 16 : u16(o) << 16 | u16(o + 2) }
        let ifd1 = u32(4)
        let ifd2 = u32(ifd1 + 2 + u16(ifd1) * 12)
        var offsets: [Int] = [], counts: [Int] = []
        for i in 0..<u16(ifd2) {
            let e = ifd2 + 2 + i * 12
            let tag = u16(e), type = u16(e + 2), n = u32(e + 4)
            func values() -> [Int] {
                let size = type == 3 ? 2 : 4
                let base = n * size <= 4 ? e + 8 : u32(e + 8)
                return (0..<n).map { size == 2 ? u16(base + $0 * 2) : u32(base + $0 * 4) }
            }
            if tag == 273 { offsets = values() }
            if tag == 279 { counts = values() }
        }
        #expect(!offsets.isEmpty && offsets.count == counts.count)
        for (o, c) in zip(offsets, counts) { for k in o..<(o + c) { bytes[k] = UInt8(truncatingIfNeeded: k &* 131) } }
        try Data(bytes).write(to: url)
    }
}

@Suite(.serialized) struct IntakeBadInputTests {
    static let tessdata = try! TessdataLocator.locate(explicit: nil)

    func pipeline(_ db: AppDatabase, jobs: Int = 1) -> IngestPipeline {
        IngestPipeline(db: db, options: IngestOptions(jobs: jobs, read: ReadSettings(tessdata: Self.tessdata)))
    }

    @Test(arguments: [
        (Data(), "the file is empty"),
        (Data("<!DOCTYPE html><html><body>Charge sheet</body></html>".utf8), "web page"),
        (Data("Patient, DOB\nWATSON, AMY".utf8), "plain text"),
    ])
    func sniffRejects(_ data: Data, _ reason: String) {
        guard case .rejected(let why) = Sniffer.sniff(data) else { Issue.record("accepted"); return }
        #expect(why.contains(reason))
    }

    @Test func sniffsByMagicBytesNotName() {
        #expect(Sniffer.sniff(Data("%PDF-1.4\n".utf8)) == .kind(.pdf))
        #expect(Sniffer.sniff(BadInputs.corruptPNG()) == .kind(.png))
        #expect(Sniffer.sniff(BadInputs.corruptJPEG()) == .kind(.jpeg))
        #expect(Sniffer.sniff(Data([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0])) == .kind(.tiff))
        #expect(Sniffer.sniff(Data([0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8])) == .kind(.tiff))
    }

    /// Every kind of bad input in one folder: one line each, the good files go in, exit 2, and
    /// what was stored before does not change.
    @Test func badInputsAreNamedAndTheBatchGoesOn() throws {
        let dir = try TestSupport.tempDir("bad")
        let inbox = dir.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let fx = TestSupport.fixture("intake")
        let born = try Data(contentsOf: fx.appendingPathComponent("born-digital.pdf"))
        func put(_ name: String, _ data: Data) throws { try data.write(to: inbox.appendingPathComponent(name)) }
        try put("empty.pdf", Data())
        try put("truncated.pdf", born.prefix(300))
        try put("page.html.pdf", Data("<html><head><title>x</title></head><body>charges</body></html>".utf8))
        try put("notes.pdf", Data("DOS 11/02/2026 99309 x1\n".utf8))
        try put("corrupt.png", BadInputs.corruptPNG())
        try put("corrupt.jpg", BadInputs.corruptJPEG())
        try put("huge.png", BadInputs.pngClaiming(width: 50_000, height: 50_000))
        try FileManager.default.copyItem(at: fx.appendingPathComponent("encrypted.pdf"), to: inbox.appendingPathComponent("encrypted.pdf"))
        try FileManager.default.copyItem(at: fx.appendingPathComponent("zero-pages.pdf"), to: inbox.appendingPathComponent("zero-pages.pdf"))
        try FileManager.default.copyItem(at: fx.appendingPathComponent("broken-page.pdf"), to: inbox.appendingPathComponent("broken-page.pdf"))
        // Page 1 a readable page (a page with nothing on it is `blank`, and no success), page 2 damaged.
        let small = try PDFDocument(path: fx.appendingPathComponent("born-digital.pdf").path).render(1, dpi: 100, maxPixels: ReadSettings.defaultMaxPixels)
        try BadInputs.tiffWithBrokenSecondPage(from: small, at: inbox.appendingPathComponent("two-pages.tif"))
        let loop = inbox.appendingPathComponent("loop")
        try FileManager.default.createDirectory(at: loop, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: loop.appendingPathComponent("again").path, withDestinationPath: loop.path)
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("ring-a").path, withDestinationPath: inbox.appendingPathComponent("ring-b").path)
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("ring-b").path, withDestinationPath: inbox.appendingPathComponent("ring-a").path)
        try put("good.pdf", born)

        // A database that already holds a document: it must not change.
        let dbPath = dir.appendingPathComponent("db.sqlite").path
        let first = try TestSupport.run(["--db", dbPath, "ingest", fx.appendingPathComponent("born-digital.pdf").path])
        #expect(first.status == 0)
        let before = try snapshot(dbPath)

        let r = try TestSupport.run(["--db", dbPath, "ingest", inbox.path, "--json"])
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        func line(_ prefix: String) -> String? { lines.first { $0.hasPrefix(inbox.path + "/" + prefix) } }
        let expected: [(String, String)] = [
            ("empty.pdf: ", "the file is empty"),
            ("truncated.pdf: ", "damaged or truncated"),
            ("page.html.pdf: ", "web page"),
            ("notes.pdf: ", "plain text"),
            ("corrupt.png page 1: ", "damaged"),
            ("corrupt.jpg", "damaged"),
            ("huge.png: ", "50000 × 50000"),
            ("encrypted.pdf: ", "encrypted"),
            ("zero-pages.pdf: ", "no pages"),
            ("broken-page.pdf page 2: ", "missing"),
            ("two-pages.tif page 2: ", "damaged"),
        ]
        for (prefix, reason) in expected {
            let l = line(prefix)
            #expect(l?.contains(reason) == true, "\(prefix) → \(l ?? "no line") in\n\(r.stderr)")
        }
        #expect(lines.contains { $0.contains("again") && $0.contains("loop") })
        #expect(lines.contains { $0.contains("ring-a") && $0.contains("symlink loop") })
        // One line per rejection, nothing else on stderr (not a terminal: no progress).
        let summary = try JSON.decoder().decode(IngestSummary.self, from: Data(r.stdout.utf8))
        #expect(lines.count == summary.rejected.count)
        // good.pdf has the same bytes as the stored document: already present, not added twice.
        #expect(summary.alreadyPresent == 1)
        // The broken-page PDF and the TIFF keep their good page and are partial.
        let docs = try TestSupport.run(["--db", dbPath, "documents", "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(docs.stdout.utf8)) as! [[String: Any]]
        let status = Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as! String, $0["status"] as! String) })
        #expect(status["broken-page.pdf"] == "partial")
        #expect(status["two-pages.tif"] == "partial")
        #expect(status["encrypted.pdf"] == nil && status["huge.png"] == nil && status["empty.pdf"] == nil)
        // What was stored before is unchanged.
        let after = try snapshot(dbPath, documentIds: before.ids)
        #expect(after.rows == before.rows)
        // Rejected files left no original behind.
        let stored = try FileManager.default.subpathsOfDirectory(atPath: dbPath + ".originals").filter { $0.contains(".") && !$0.hasPrefix(".") }
        #expect(stored.count == list.count, "\(stored)")
    }

    @Test func unreadableFileIsNamed() throws {
        let dir = try TestSupport.tempDir("perm")
        let file = dir.appendingPathComponent("locked.pdf")
        try FileManager.default.copyItem(at: TestSupport.fixture("intake/born-digital.pdf"), to: file)
        chmod(file.path, 0)
        var args = ["--db", dir.appendingPathComponent("db.sqlite").path, "ingest", file.path]
        var binary: [String] = []
        if getuid() == 0 {
            // root reads everything: run as nobody, with a database folder nobody may write.
            chmod(dir.path, 0o777)
            binary = ["--reuid=65534", "--regid=65534", "--clear-groups", TestSupport.binary.path]
        }
        let r: TestSupport.Run
        if binary.isEmpty { r = try TestSupport.run(args) } else {
            args = binary + args
            r = try TestSupport.runTool("/usr/bin/setpriv", args)
        }
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr == "\(file.path): it cannot be read (permission denied)\n", "\(r.stderr)")
    }

    @Test func aMissingModelIsOneLineNamingWhereItLooked() throws {
        let dir = try TestSupport.tempDir("model")
        let r = try TestSupport.run(["--db", dir.appendingPathComponent("db.sqlite").path, "ingest",
                                     "--tessdata", dir.appendingPathComponent("nowhere").path,
                                     TestSupport.fixture("intake/born-digital.pdf").path])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(r.stderr.contains("eng.traineddata") && r.stderr.contains("nowhere") && r.stderr.contains("make deps"), "\(r.stderr)")
    }

    @Test func twoCopiesOfNewBytesInOneBatchAreReadOnce() throws {
        let dir = try TestSupport.tempDir("twins")
        let db = try AppDatabase.open(path: dir.appendingPathComponent("db.sqlite").path)
        let png = try IntakeOCRTests.scannedCopy(in: dir)
        let twin = dir.appendingPathComponent("twin.png")
        try FileManager.default.copyItem(at: png, to: twin)
        let s = try pipeline(db, jobs: 2).run(paths: [png.path, twin.path])
        #expect(s.added == 1 && s.alreadyPresent == 1 && s.pages == 1 && s.rejected.isEmpty)
        #expect(try db.read { try Page.fetchCount($0) } == 1)
    }

    @Test func sameBytesTwiceIsANoOp() throws {
        let dir = try TestSupport.tempDir("dedupe")
        let db = try AppDatabase.open(path: dir.appendingPathComponent("db.sqlite").path)
        let copy = dir.appendingPathComponent("renamed-copy.pdf")
        try FileManager.default.copyItem(at: TestSupport.fixture("intake/born-digital.pdf"), to: copy)
        let s1 = try pipeline(db).run(paths: [TestSupport.fixture("intake/born-digital.pdf").path])
        let before = try snapshot(dir.appendingPathComponent("db.sqlite").path)
        let s2 = try pipeline(db).run(paths: [copy.path, TestSupport.fixture("intake/born-digital.pdf").path])
        #expect(s1.added == 1)
        #expect(s2.added == 0 && s2.alreadyPresent == 2 && s2.pages == 0)
        #expect(try snapshot(dir.appendingPathComponent("db.sqlite").path).rows == before.rows)
    }

    @Test func companionFilesInFoldersAreSkippedButNamedFilesAreSniffed() throws {
        let dir = try TestSupport.tempDir("walk")
        for name in ["scan.pdf", "scan.json", "export.xlsx", "noext"] {
            try Data("x".utf8).write(to: dir.appendingPathComponent(name))
        }
        let walked = InputWalker.expand([dir.path])
        #expect(walked.files.map { ($0 as NSString).lastPathComponent } == ["noext", "scan.pdf"])
        let named = InputWalker.expand([dir.appendingPathComponent("scan.json").path])
        #expect(named.files.count == 1)
    }

    @Test func theDatabaseAndItsOriginalsAreNeverInputs() throws {
        let dir = try TestSupport.tempDir("self")
        try FileManager.default.copyItem(at: TestSupport.fixture("intake/born-digital.pdf"), to: dir.appendingPathComponent("a.pdf"))
        let db = try AppDatabase.open(path: dir.appendingPathComponent("db.sqlite").path)
        let s1 = try pipeline(db).run(paths: [dir.path])
        let s2 = try pipeline(db).run(paths: [dir.path])
        #expect(s1.added == 1 && s1.rejected.isEmpty)
        #expect(s2.alreadyPresent == 1 && s2.rejected.isEmpty)
    }

    struct Snapshot { var ids: [Int64]; var rows: [String] }

    /// Every stored row of documents, pages and words, as text, for before/after comparisons.
    func snapshot(_ path: String, documentIds: [Int64]? = nil) throws -> Snapshot {
        let q = try DatabaseQueue(path: path)
        return try q.read { db in
            let ids = try documentIds ?? Int64.fetchAll(db, sql: "SELECT id FROM documents ORDER BY id")
            let list = ids.map(String.init).joined(separator: ",")
            var rows = try String.fetchAll(db, sql: "SELECT sha256 || '|' || status || '|' || page_count || '|' || stored_path || '|' || updated_at FROM documents WHERE id IN (\(list)) ORDER BY id")
            rows += try String.fetchAll(db, sql: "SELECT p.id || '|' || number || '|' || p.status FROM pages p WHERE document_id IN (\(list)) ORDER BY p.id")
            rows += try String.fetchAll(db, sql: "SELECT w.id || '|' || text || '|' || x0 || ',' || y0 FROM words w JOIN pages p ON p.id = w.page_id WHERE p.document_id IN (\(list)) ORDER BY w.id")
            return Snapshot(ids: ids, rows: rows)
        }
    }
}
