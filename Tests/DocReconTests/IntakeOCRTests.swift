import Foundation
import GRDB
import Testing
@testable import DocRecon

/// OCR and text-layer paths through the real libraries (poppler, Leptonica, Tesseract).
@Suite(.serialized) struct IntakeOCRTests {
    static let tessdata = try! TessdataLocator.locate(explicit: nil)

    /// Renders the born-digital fixture to a PNG: the same words, now only as pixels.
    static func scannedCopy(dpi: Int = 300, in dir: URL) throws -> URL {
        let pdf = try PDFDocument(path: TestSupport.fixture("intake/born-digital.pdf").path)
        let pix = try pdf.render(1, dpi: dpi, maxPixels: ReadSettings.defaultMaxPixels)
        let url = dir.appendingPathComponent("scanned.png")
        try pix.pngData()!.write(to: url)
        return url
    }

    func ingest(_ paths: [URL], jobs: Int = 1, db: AppDatabase) throws -> IngestSummary {
        let p = IngestPipeline(db: db, options: IngestOptions(jobs: jobs, read: ReadSettings(tessdata: Self.tessdata)))
        return try p.run(paths: paths.map(\.path))
    }

    func words(_ db: AppDatabase) throws -> [Word] {
        try db.read { try Word.order(Column("id")).fetchAll($0) }
    }

    @Test func textLayerWordsComeFromPoppler() throws {
        let dir = try TestSupport.tempDir("tl")
        let db = try AppDatabase.open(path: dir.appendingPathComponent("db.sqlite").path)
        let s = try ingest([TestSupport.fixture("intake/born-digital.pdf")], db: db)
        #expect(s.added == 1 && s.pages == 1 && s.rejected.isEmpty)
        let page = try db.read { try Page.fetchOne($0) }!
        #expect(page.source == .textLayer)
        #expect(page.width == 2550 && page.height == 3300)
        let ws = try words(db)
        let account = try #require(ws.first { $0.text == "40917733" })
        #expect(account.confidence == 1)
        // Third line of 14 pt text set at 72 pt from the left, 72 pt from the top, 18 pt leading.
        let label = try #require(ws.first { $0.text == "Account" })
        #expect(label.x0 == 300 && account.x0 > label.x1)
        let baseline = (72 + 2 * 18) * 300 / 72
        #expect(account.y0 < baseline && account.y1 > baseline - 40)
    }

    @Test func ocrFindsWordsWhereTheyAreDrawn() throws {
        let dir = try TestSupport.tempDir("ocr")
        let png = try Self.scannedCopy(in: dir)
        let db = try AppDatabase.open(path: dir.appendingPathComponent("db.sqlite").path)
        let s = try ingest([png], db: db)
        #expect(s.added == 1 && s.pages == 1)
        let page = try db.read { try Page.fetchOne($0) }!
        #expect(page.source == .ocr)
        let ocr = try words(db)
        // The text layer of the same page says where each word is drawn.
        let truth = try PDFDocument(path: TestSupport.fixture("intake/born-digital.pdf").path).textLayerWords(1, dpi: 300)
        for text in ["RIVERA,", "40917733", "99309", "212.40", "1936.98", "11/02/2026"] {
            let t = try #require(truth.first { $0.text == text })
            let o = try #require(ocr.first { $0.text == text }, "OCR missed \(text)")
            // Poppler boxes are glyph advance boxes (side bearings included), OCR boxes are ink.
            #expect(abs(o.x0 - t.box.x0) <= 10 && abs(o.x1 - t.box.x1) <= 10, "\(text): \(o.box.array) vs \(t.box.array)")
            #expect(o.y0 >= t.box.y0 - 4 && o.y1 <= t.box.y1 + 4, "\(text): \(o.box) vs \(t.box)")
            #expect(o.confidence > 0.8)
        }
    }

    /// Page readers skip Tesseract's legacy fixed-pitch test (the LSTM engine re-segments each
    /// line itself).
    @Test func pageReadersSkipTheLegacyPitchTest() throws {
        let eng = try Tesseract(dataPath: Self.tessdata)
        #expect(eng.boolVariable("textord_disable_pitch_test") == true)
        #expect(eng.boolVariable("tessedit_do_invert") == true)   // white-on-dark text stays readable
        #expect(eng.boolVariable("no_such_setting") == nil)
    }
}

@Suite(.serialized) struct IntakeOrientationTests {
    @Test(arguments: [1, 2, 3])
    func rotatedPagesAreTurnedUprightByOSD(quads: Int) throws {
        let dir = try TestSupport.tempDir("osd")
        let pdf = try PDFDocument(path: TestSupport.fixture("intake/born-digital.pdf").path)
        let page = try pdf.render(1, dpi: 300, maxPixels: ReadSettings.defaultMaxPixels)
        let turned = try #require(page.rotatedClockwise(quads: quads))
        let url = dir.appendingPathComponent("turned.png")
        try turned.pngData()!.write(to: url)
        let db = try AppDatabase.open(path: dir.appendingPathComponent("db.sqlite").path)
        let p = IngestPipeline(db: db, options: IngestOptions(jobs: 1, read: ReadSettings(tessdata: IntakeOCRTests.tessdata)))
        _ = try p.run(paths: [url.path])
        let stored = try db.read { try Page.fetchOne($0) }!
        #expect(stored.orientation == (4 - quads) * 90)
        #expect(stored.width == 2550 && stored.height == 3300)
        let words = try db.read { try Word.fetchAll($0) }.map(\.text)
        #expect(words.contains("40917733") && words.contains("RIVERA,"))
    }
}

/// The generated fixtures say exactly where every word was drawn (cairo ink boxes).
@Suite(.serialized) struct IntakeFixtureTruthTests {
    struct Truth: Decodable {
        struct Page: Decodable { var words: [W] }
        struct W: Decodable { var text: String; var box: [Int] }
        var pages: [Page]
    }

    static func truth(_ name: String) throws -> [Truth.W] {
        try JSONDecoder().decode(Truth.self, from: Data(contentsOf: TestSupport.fixture("ocr/\(name)"))).pages[0].words
    }

    /// A reader draws every page into one reused canvas: a page drawn after a bigger or smaller
    /// one must come out exactly as it does on a fresh canvas (white where the page has nothing,
    /// no pixels left over from the page before), with odd widths' pad bytes handled.
    @Test func aReusedCanvasDrawsEachPageAsAFreshOneDoes() throws {
        let pdf = try PDFDocument(path: TestSupport.fixture("intake/born-digital.pdf").path)
        let canvas = RenderCanvas()
        for dpi in [300, 150, 301, 97, 300] {
            let reused = try pdf.render(1, dpi: dpi, maxPixels: ReadSettings.defaultMaxPixels, canvas: canvas)
            let fresh = try pdf.render(1, dpi: dpi, maxPixels: ReadSettings.defaultMaxPixels, canvas: RenderCanvas())
            #expect(reused.width == fresh.width && reused.height == fresh.height && reused.resolution == dpi)
            let a = try #require(reused.grayBytes()), b = try #require(fresh.grayBytes())
            #expect(a == b, "\(dpi) dpi")
            #expect(a.contains(255) && a.contains { $0 < 100 }, "\(dpi) dpi: white paper and dark print")
        }
    }

    @Test func ocrWordsLandOnTheirDrawnBoxes() throws {
        let dir = try TestSupport.tempDir("words")
        let db = try AppDatabase.open(path: dir.appendingPathComponent("db.sqlite").path)
        let p = IngestPipeline(db: db, options: IngestOptions(jobs: 1, read: ReadSettings(tessdata: IntakeOCRTests.tessdata)))
        _ = try p.run(paths: [TestSupport.fixture("ocr/words.png").path])
        let ocr = try db.read { try Word.fetchAll($0) }
        let truth = try Self.truth("words.json")
        var found = 0
        for t in truth {
            guard let o = ocr.first(where: { $0.text == t.text }) else { continue }
            found += 1
            #expect(abs(o.x0 - t.box[0]) <= 4 && abs(o.y0 - t.box[1]) <= 4 && abs(o.x1 - t.box[2]) <= 4 && abs(o.y1 - t.box[3]) <= 4,
                    "\(t.text): OCR \(o.box.array) vs drawn \(t.box)")
        }
        #expect(found >= truth.count - 1, "found \(found) of \(truth.count)")
    }

    @Test func textLayerSplitsRunsIntoTheDrawnWords() throws {
        let pdf = try PDFDocument(path: TestSupport.fixture("ocr/textlayer.pdf").path)
        let layer = try pdf.textLayerWords(1, dpi: 300)
        let truth = try Self.truth("textlayer.json")
        #expect(layer.map(\.text).sorted() == truth.map(\.text).sorted())
        for t in truth {
            let w = try #require(layer.first { $0.text == t.text && abs($0.box.x0 - t.box[0]) <= 6 && abs($0.box.x1 - t.box[2]) <= 6
                                               && $0.box.y0 < t.box[3] && $0.box.y1 > t.box[1] },
                                 "\(t.text) at \(t.box)")
            // Poppler's boxes span the font's line height; the drawn ink sits inside them.
            #expect(w.box.y0 <= t.box[1] + 6 && w.box.y1 >= t.box[3] - 6, "\(t.text): \(w.box.array) vs \(t.box)")
        }
    }
}
