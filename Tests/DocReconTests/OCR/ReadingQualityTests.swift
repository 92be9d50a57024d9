import Foundation
import GRDB
import Testing
@testable import DocRecon

/// Issue 19: pages from elsewhere read at least as well as plain Tesseract reads them — the
/// resolution found when the image does not say it, dark borders removed, small print scaled up,
/// deskew undone when it reads worse, and empty pages named instead of passed as read.
@Suite(.serialized) struct ReadingQualityTests {
    static let tessdata = try! TessdataLocator.locate(explicit: nil)
    static let sample = TestSupport.repoRoot.appendingPathComponent("Samples/sheets/clean-01-superbill.pdf")

    /// The sample's page rendered at `dpi`, its pixels only (no resolution in the image).
    static func page(dpi: Int) throws -> Raster {
        let pix = try PDFDocument(path: sample.path).render(1, dpi: dpi, maxPixels: ReadSettings.defaultMaxPixels)
        return try #require(pix.raster())
    }

    /// The words the sample's ground truth says are on its page.
    static func truthWords() throws -> [String] {
        let url = sample.deletingPathExtension().appendingPathExtension("json")
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let page = (obj["pages"] as! [[String: Any]])[0]
        return (page["words"] as! [[String: Any]]).map { $0["text"] as! String }
    }

    /// Share of the true words found among `words` (each as often as it is true).
    static func recall(_ words: [String]) throws -> Double {
        func norm(_ s: String) -> String { s.uppercased().trimmingCharacters(in: CharacterSet(charactersIn: ".,:;()[]|!*_-")) }
        var got: [String: Int] = [:]
        for w in words { got[norm(w), default: 0] += 1 }
        let truth = try truthWords().map(norm).filter { !$0.isEmpty }
        var hit = 0
        for t in truth where (got[t] ?? 0) > 0 { hit += 1; got[t]! -= 1 }
        return Double(hit) / Double(truth.count)
    }

    func ingest(_ files: [URL], cleanup: Bool = true, in dir: URL) throws -> (AppDatabase, IngestSummary) {
        let db = try AppDatabase.open(path: dir.appendingPathComponent("db-\(cleanup).sqlite").path)
        var read = ReadSettings(tessdata: Self.tessdata)
        read.cleanup = cleanup
        let s = try IngestPipeline(db: db, options: IngestOptions(jobs: 1, read: read)).run(paths: files.map(\.path))
        return (db, s)
    }

    func write(_ r: Raster, _ name: String, in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try #require(r.pix(dpi: 0)?.pngData()).write(to: url)
        return url
    }

    @Test("a page rendered at a known resolution, its metadata stripped, is taken at that resolution from its paper size",
          arguments: [72, 100, 150, 200, 240, 300, 400, 600])
    func resolutionFromPaperSize(dpi: Int) throws {
        let r = try Self.page(dpi: dpi)
        let e = Resolution.estimate(width: r.width, height: r.height, metadata: 0) { nil }
        #expect(e.dpi == dpi)
        #expect(e.basis == .paperSize)
        #expect(e.reason.contains("US Letter at \(dpi) dpi"))
    }

    @Test("a crop that is no paper size is measured by the height of its characters, within a fifth",
          arguments: [100, 200, 300])
    func resolutionFromGlyphHeight(dpi: Int) throws {
        let page = try Self.page(dpi: dpi)
        // The top 40% of the page: no paper has that shape.
        let h = page.height * 4 / 10
        let crop = Raster(width: page.width, height: h, pixels: Array(page.pixels[0..<(page.width * h)]))
        let pix = try #require(crop.pix(dpi: 0))
        #expect(Resolution.paperSize(width: crop.width, height: crop.height) == nil)
        let e = Resolution.estimate(width: crop.width, height: crop.height, metadata: 0) { pix.medianGlyphHeight() }
        #expect(e.basis == .textHeight)
        #expect(abs(Double(e.dpi - dpi)) <= 0.2 * Double(dpi), "estimated \(e.dpi) for \(dpi): \(e.reason)")
    }

    @Test("metadata is kept when plausible, overruled by the paper size when it is a placeholder or absurd",
          arguments: [(300, 300, 300, "metadata"), (200, 72, 200, "paper-size"), (200, 5000, 200, "paper-size"),
                      (150, 96, 150, "paper-size"), (72, 72, 72, "metadata"), (100, 20, 100, "paper-size")])
    func metadataPlausibility(rendered: Int, metadata: Int, expected: Int, basis: String) throws {
        let w = 85 * rendered / 10, h = 11 * rendered
        let e = Resolution.estimate(width: w, height: h, metadata: metadata) { nil }
        #expect(e.dpi == expected)
        #expect(e.basis.rawValue == basis)
    }

    @Test func withNothingToGoByThePageIsTakenAt300Dpi() {
        let e = Resolution.estimate(width: 900, height: 500, metadata: 0) { nil }
        #expect(e.dpi == 300 && e.basis == .assumed)
    }

    @Test("a 100-dpi page without metadata is read at 100 dpi, scaled up, and its words land in its own pixels")
    func lowResolutionPageReads() throws {
        let dir = try TestSupport.tempDir("lowres")
        let png = try write(Self.page(dpi: 100), "lowres.png", in: dir)
        let (db, s) = try ingest([png], in: dir)
        #expect(s.rejected.isEmpty)
        let page = try #require(try db.read { try Page.fetchOne($0) })
        #expect(page.dpi == 100 && page.resolutionBasis == "paper-size")
        #expect(page.width == 850 && page.height == 1100)
        #expect(page.cleanup?.contains("scaled 3× to read at 300 dpi") == true)
        let words = try db.read { try Word.fetchAll($0) }
        #expect(words.allSatisfy { $0.x1 <= 851 && $0.y1 <= 1101 })
        let recall = try Self.recall(words.map(\.text))
        #expect(recall >= 0.85, "recall \(recall)")
    }

    @Test("a page on a dark scanner bed has its border removed and reads as well as without it")
    func borderedPageReads() throws {
        let dir = try TestSupport.tempDir("border")
        let page = try Self.page(dpi: 200)
        let m = 70
        var bed = Raster(width: page.width + 2 * m, height: page.height + 2 * m, fill: 20)
        for y in 0..<page.height {
            for x in 0..<page.width { bed.pixels[(y + m) * bed.width + x + m] = page.pixels[y * page.width + x] }
        }
        let png = try write(bed, "bordered.png", in: dir)
        let (db, s) = try ingest([png], in: dir)
        #expect(s.rejected.isEmpty)
        let p = try #require(try db.read { try Page.fetchOne($0) })
        #expect(p.cleanup?.contains("dark border removed") == true)
        let recall = try Self.recall(try db.read { try Word.fetchAll($0) }.map(\.text))
        #expect(recall >= 0.85, "recall \(recall)")
        #expect(DarkBorder.removed(from: page) == nil, "a page without a border is left as it is")
    }

    @Test("of a deskewed and a straight reading, the one with more confident words is kept")
    func deskewIsUndoneWhenItReadsWorse() {
        func w(_ t: String, _ c: Double) -> RecognizedWord {
            RecognizedWord(text: t, box: Box(0, 0, 60, 20), confidence: c, block: 0, line: 0, word: 0)
        }
        let weakDeskewed = [w("PAT1ENT", 40), w("D0B", 35), w("ACCOUNT", 82)]
        let straight = (0..<25).map { w("WORD\($0)", 90) }
        #expect(PageReader.isWeak(weakDeskewed))
        #expect(!PageReader.isWeak(straight))
        #expect(PageReader.quality(straight) > PageReader.quality(weakDeskewed))
    }

    @Test("a blank page is blank and a black page unreadable: each named on stderr, exit 2, and so again on a re-run")
    func blankAndBlackPages() throws {
        let dir = try TestSupport.tempDir("blank")
        let white = try write(Raster(width: 850, height: 1100, fill: 250), "white.png", in: dir)
        let black = try write(Raster(width: 850, height: 1100, fill: 12), "black.png", in: dir)
        let good = try write(Self.page(dpi: 150), "good.png", in: dir)
        let db = dir.appendingPathComponent("db.sqlite").path
        let r = try TestSupport.run(["--db", db, "ingest", white.path, black.path, good.path])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("white.png") && r.stderr.contains("blank"))
        #expect(r.stderr.contains("black.png") && r.stderr.contains("almost all dark"))
        #expect(!r.stderr.contains("good.png"))
        let docs = try TestSupport.run(["--db", db, "documents"])
        #expect(docs.stdout.split(separator: "\n").contains { $0.contains("white.png") && $0.contains("blank") })
        #expect(docs.stdout.split(separator: "\n").contains { $0.contains("black.png") && $0.contains("unreadable") })
        #expect(docs.stdout.split(separator: "\n").contains { $0.contains("good.png") && !$0.contains("unreadable") })
        let again = try TestSupport.run(["--db", db, "ingest", white.path, black.path, good.path])
        #expect(again.status == 2)
        #expect(again.stderr.contains("white.png") && again.stderr.contains("black.png"))
        let pages = try TestSupport.run(["--db", db, "documents"])
        #expect(pages.stdout == docs.stdout, "a re-run changes nothing")
    }

    @Test func pageInkTellsBlankFromDarkFromPrinted() throws {
        #expect(PageInk(Raster(width: 300, height: 300, fill: 255)).isBlank)
        #expect(PageInk(Raster(width: 300, height: 300, fill: 5)).isDark)
        let printed = PageInk(try Self.page(dpi: 100))
        #expect(!printed.isBlank && !printed.isDark)
    }
}

/// Issue 13: a run of digit boxes (24A's MM DD YY) is read box by box and as a whole; the
/// box-by-box words stand only when both readings have the same digits.
@Suite("Digit boxes read one by one, checked against the whole run") struct DigitBoxTests {
    static func piece(_ x0: Int, _ label: Int32) -> FormReader.Piece {
        FormReader.Piece(x0: x0, y0: 10, x1: x0 + 10, y1: 24, cy: 17, label: label)
    }
    static let boxes = [FormReader.Segment.Box(x0: 0, x1: 40), .init(x0: 40, x1: 80), .init(x0: 80, x1: 120)]
    static let pieces = [piece(5, 1), piece(16, 2), piece(45, 3), piece(56, 4), piece(85, 5), piece(96, 6)]

    /// A reader that answers box by box with `parts` and for the whole run with `whole`.
    static func reader(parts: [String], whole: String) -> ([FormReader.Piece]) -> [RecognizedWord] {
        { chosen in
            let word = { (t: String) in RecognizedWord(text: t, box: Box(0, 0, 1, 1), confidence: 95, block: 0, line: 0, word: 0) }
            if chosen.count == pieces.count { return whole.split(separator: " ").map { word(String($0)) } }
            let k = boxes.firstIndex { Double(chosen[0].x0) >= $0.x0 && Double(chosen[0].x0) < $0.x1 }!
            return [word(parts[k])]
        }
    }

    @Test("the same digits both ways: the box-by-box words, as sure as Tesseract was")
    func agree() {
        let ws = FormReader.readBoxByBox(Self.pieces, boxes: Self.boxes, read: Self.reader(parts: ["07", "28", "26"], whole: "07 28 26"))
        #expect(ws.map(\.text) == ["07", "28", "26"])
        #expect(ws.allSatisfy { $0.confidence == 95 })
    }

    @Test("different digits (the whole run drops one across a gap): box by box, but too doubtful to stand")
    func disagree() {
        let ws = FormReader.readBoxByBox(Self.pieces, boxes: Self.boxes, read: Self.reader(parts: ["07", "28", "26"], whole: "7228"))
        #expect(ws.map(\.text) == ["07", "28", "26"])
        #expect(ws.allSatisfy { $0.confidence == FormReader.disagreementConfidence })
        #expect(FormReader.disagreementConfidence / 100 < 0.55, "under the 1500 template's review_confidence")
    }

    @Test("the 1500's 24A date boxes make one digit segment with three boxes")
    func segmentsKeepTheirBoxes() throws {
        let layout = try #require(try TemplateLoader.loadAll(rulesDirectory: TestSupport.repoRoot.appendingPathComponent("Rules").path)
            .first { $0.form != nil }?.form)
        let bands = FormReader.bands(layout, width: 1700, height: 2200)
        let line1 = try #require(bands.first { $0.boxes.contains("sv1_mm_from") })
        let dates = try #require(line1.segments.first { $0.charset == "0123456789" })
        #expect(dates.boxes.count == 3)
    }
}
