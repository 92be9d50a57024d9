import Foundation

/// What reading one page produced: the page row (without ids) and its words, or why it failed.
public struct PageOutcome: Sendable {
    public var documentId: Int64
    public var number: Int
    public var page: Page
    public var words: [RecognizedWord]
}

/// Settings for reading pages.
public struct ReadSettings: Sendable {
    public var dpi: Int = 300
    public var tessdata: String
    /// Refuse any page image above this many pixels, before decoding it (documented in the README).
    public var maxPixels: Int = ReadSettings.defaultMaxPixels
    public var deskew = true
    public var detectOrientation = true
    /// OSD confidence below which the page is left as it is.
    public var minOrientationConfidence = 1.5

    /// 150 megapixels: a letter page at 1200 dpi (134 MP) passes, a 50,000 × 50,000 image (2,500 MP) does not.
    public static let defaultMaxPixels = 150_000_000

    public init(tessdata: String) { self.tessdata = tessdata }
}

/// One worker's page context: its own Tesseract handles (created once, reused for every page) and
/// the PDF it last opened. Used by one thread only.
public final class PageReader {
    public let settings: ReadSettings
    private let ocr: Tesseract
    private var osd: Tesseract?
    private var osdTried = false
    private var openPDF: (id: Int64, doc: PDFDocument)?
    private var openImage: (id: Int64, data: Data)?

    public init(settings: ReadSettings) throws {
        self.settings = settings
        ocr = try Tesseract(dataPath: settings.tessdata, language: "eng")
        Pix.quietDiagnostics
    }

    /// Reads page `number` of `document` (stored original at `path`).
    public func read(documentId: Int64, kind: DocumentKind, path: String, number: Int) throws -> PageOutcome {
        switch kind {
        case .pdf: return try readPDF(documentId: documentId, path: path, number: number)
        case .png, .jpeg, .tiff: return try readImage(documentId: documentId, kind: kind, path: path, number: number)
        }
    }

    private func pdf(_ id: Int64, _ path: String) throws -> PDFDocument {
        if let o = openPDF, o.id == id { return o.doc }
        openPDF = nil
        let d = try PDFDocument(path: path)
        openPDF = (id, d)
        return d
    }

    private func readPDF(documentId: Int64, path: String, number: Int) throws -> PageOutcome {
        let doc = try pdf(documentId, path)
        let dpi = settings.dpi
        let t0 = DispatchTime.now()
        let layer = try doc.textLayerWords(number, dpi: dpi)
        if PageReader.isRealTextLayer(layer) {
            let size = try doc.pageSize(number)
            let page = Page(documentId: documentId, number: number,
                            width: Int((size.width * Double(dpi) / 72).rounded()),
                            height: Int((size.height * Double(dpi) / 72).rounded()),
                            dpi: dpi, source: .textLayer, ocrSeconds: seconds(since: t0))
            return PageOutcome(documentId: documentId, number: number, page: page, words: layer)
        }
        let pix = try doc.render(number, dpi: dpi, maxPixels: settings.maxPixels)
        return recognise(pix, documentId: documentId, number: number, dpi: dpi, started: t0)
    }

    private func imageData(_ id: Int64, _ path: String) throws -> Data {
        if let o = openImage, o.id == id { return o.data }
        openImage = nil
        let d = try Data(contentsOf: URL(fileURLWithPath: path))
        openImage = (id, d)
        return d
    }

    private func readImage(documentId: Int64, kind: DocumentKind, path: String, number: Int) throws -> PageOutcome {
        let data = try imageData(documentId, path)
        let t0 = DispatchTime.now()
        let size = kind == .tiff ? Pix.tiffPageSize(data, page: number - 1) : Pix.header(of: data)
        guard let size else { throw PDFError.pageFailed(number, "the image header is damaged") }
        guard size.width > 0, size.height > 0 else { throw PDFError.pageFailed(number, "the image has no pixels") }
        guard size.width * size.height <= settings.maxPixels else {
            throw PDFError.pageFailed(number, "the image claims \(size.width) × \(size.height) pixels, above the limit of \(settings.maxPixels)")
        }
        let decoded = kind == .tiff ? Pix.decodeTIFF(data, page: number - 1) : Pix.decode(data)
        guard let pix = decoded?.gray8() else { throw PDFError.pageFailed(number, "the image data is damaged") }
        let res = pix.resolution
        let dpi = (70...1200).contains(res) ? res : 300
        return recognise(pix, documentId: documentId, number: number, dpi: dpi, started: t0)
    }

    /// Grayscale → deskew → OCR, with orientation detection (OSD) only when the upright reading
    /// looks wrong: nearly every scanned sheet is upright, and OSD on every page would cost ~15%
    /// of the OCR time (measured on Samples/: 0.16 s of 1.1 s a page). A page OSD turns is read
    /// again, and the better-reading of the two is kept.
    private func recognise(_ input: Pix, documentId: Int64, number: Int, dpi: Int, started: DispatchTime) -> PageOutcome {
        var pix = input
        var skew = 0.0
        if settings.deskew {
            let (d, angle) = pix.deskewed()
            pix = d; skew = angle
        }
        var words = ocr.words(in: pix, dpi: dpi)
        var orientation = 0
        if settings.detectOrientation, !PageReader.readsUpright(words), let o = osdHandle(),
           let r = o.detectOrientation(input, dpi: dpi), r.degrees % 360 != 0, r.confidence >= settings.minOrientationConfidence {
            Log.logger("ocr").debug("page \(number): OSD says \(r.degrees)° (confidence \(r.confidence))")
            // Tesseract reports the text's counter-clockwise orientation; turning the page clockwise
            // by the rest of the circle makes it upright (the CLI's "Rotate: 360 - orientation").
            let quads = (4 - (r.degrees / 90) % 4) % 4
            if var turned = input.rotatedClockwise(quads: quads) {
                var turnedSkew = 0.0
                if settings.deskew { let (d, a) = turned.deskewed(); turned = d; turnedSkew = a }
                let again = ocr.words(in: turned, dpi: dpi)
                if PageReader.quality(again) > PageReader.quality(words) {
                    words = again; pix = turned; skew = turnedSkew; orientation = quads * 90
                }
            }
        }
        let page = Page(documentId: documentId, number: number, width: pix.width, height: pix.height, dpi: dpi,
                        source: .ocr, skewAngle: skew, orientation: orientation, ocrSeconds: seconds(since: started))
        return PageOutcome(documentId: documentId, number: number, page: page, words: words)
    }

    /// Confidently read words of three or more letters or digits: a page read sideways or upside
    /// down yields almost none.
    /// Tesseract can read a sideways page itself, but its words then stand on end (boxes taller
    /// than wide) and the layout is turned: those do not count as upright readings.
    static func quality(_ words: [RecognizedWord]) -> Int {
        words.reduce(0) { n, w in
            let alnum = w.text.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.count
            return n + (w.confidence >= 80 && alnum >= 3 && w.box.width > w.box.height ? 1 : 0)
        }
    }

    static func readsUpright(_ words: [RecognizedWord]) -> Bool {
        guard !words.isEmpty else { return false }
        let good = quality(words)
        return good >= 20 || (good >= 5 && good * 2 >= words.count)
    }

    private func osdHandle() -> Tesseract? {
        if !osdTried {
            osdTried = true
            osd = try? Tesseract(dataPath: settings.tessdata, language: "osd")
        }
        return osd
    }

    /// A text layer is real when it carries readable words, not a few stray glyphs.
    static func isRealTextLayer(_ words: [RecognizedWord]) -> Bool {
        let alnum = words.reduce(0) { $0 + $1.text.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.count }
        return words.count >= 3 && alnum >= 10
    }

    /// Re-reads a region of a page as one line (second look for a doubtful field).
    public func rereadLine(documentId: Int64, kind: DocumentKind, path: String, page: Page, box: Box,
                           whitelist: String?) throws -> (text: String, confidence: Double)? {
        let pix: Pix
        switch kind {
        case .pdf:
            pix = try pdf(documentId, path).render(page.number, dpi: page.dpi, maxPixels: settings.maxPixels)
        case .png, .jpeg, .tiff:
            let data = try imageData(documentId, path)
            guard let p = (kind == .tiff ? Pix.decodeTIFF(data, page: page.number - 1) : Pix.decode(data))?.gray8() else { return nil }
            pix = p
        }
        var upright = pix.rotatedClockwise(quads: page.orientation / 90) ?? pix
        if page.skewAngle != 0 { upright = upright.deskewed().0 }
        guard let crop = upright.cropped(box, padding: 6) else { return nil }
        let (text, conf) = ocr.readLine(crop, dpi: page.dpi, whitelist: whitelist)
        return (text, conf / 100)
    }
}

func seconds(since t0: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9
}
