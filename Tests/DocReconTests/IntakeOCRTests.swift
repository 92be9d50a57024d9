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
            #expect(abs(o.x0 - t.box.x0) <= 6 && abs(o.x1 - t.box.x1) <= 6, "\(text): \(o.box) vs \(t.box)")
            #expect(o.y0 >= t.box.y0 - 4 && o.y1 <= t.box.y1 + 4, "\(text): \(o.box) vs \(t.box)")
            #expect(o.confidence > 0.8)
        }
    }
}
