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
/// the file it last opened. Used by one thread only.
public final class PageReader {
    public let settings: ReadSettings
    private let ocr: Tesseract
    private var osd: Tesseract?
    private var osdTried = false
    private let images: PageImages

    public init(settings: ReadSettings) throws {
        self.settings = settings
        ocr = try Tesseract(dataPath: settings.tessdata, language: "eng")
        images = PageImages(dpi: settings.dpi, maxPixels: settings.maxPixels)
        Pix.quietDiagnostics
    }

    /// Reads page `number` of `document` (stored original at `path`).
    public func read(documentId: Int64, kind: DocumentKind, path: String, number: Int) throws -> PageOutcome {
        switch kind {
        case .pdf: return try readPDF(documentId: documentId, path: path, number: number)
        case .png, .jpeg, .tiff: return try readImage(documentId: documentId, kind: kind, path: path, number: number)
        }
    }

    private func readPDF(documentId: Int64, path: String, number: Int) throws -> PageOutcome {
        let doc = try images.pdf(documentId, path)
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
        return recognise(try images.pdfPage(doc, number), documentId: documentId, number: number, dpi: dpi, started: t0)
    }

    private func readImage(documentId: Int64, kind: DocumentKind, path: String, number: Int) throws -> PageOutcome {
        let t0 = DispatchTime.now()
        let pix = try images.imagePage(documentId, kind: kind, path: path, number: number)
        let res = pix.resolution
        return recognise(pix, documentId: documentId, number: number, dpi: (70...1200).contains(res) ? res : 300, started: t0)
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
}

func seconds(since t0: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9
}
