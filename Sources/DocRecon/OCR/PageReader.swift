import Foundation

/// What reading one page produced: the page row (without ids) and its words, or why it failed.
public struct PageOutcome: Sendable {
    public var documentId: Int64
    public var number: Int
    public var page: Page
    public var words: [RecognizedWord]
    /// The page's registration against a template's form, when one was tried and fitted.
    public var form: PageForm? = nil
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
    /// Printed forms a page may be (templates with a `form:`): a page that registers against
    /// one is read box by box from its data layer instead of as a whole.
    public var forms: [FormToRead] = []

    /// 150 megapixels: a letter page at 1200 dpi (134 MP) passes, a 50,000 × 50,000 image (2,500 MP) does not.
    public static let defaultMaxPixels = 150_000_000

    public init(tessdata: String) { self.tessdata = tessdata }
}

/// A template's printed form, for the readers.
public struct FormToRead: Sendable {
    public var template: String
    public var layout: FormLayout
    public init(template: String, layout: FormLayout) { self.template = template; self.layout = layout }

    /// The printed forms of `templates` (those with a `form:`).
    public static func all(in templates: [Template]) -> [FormToRead] {
        templates.compactMap { t in t.form.map { FormToRead(template: t.name, layout: $0) } }
    }
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
            // A filled form printed to PDF: its text sits in the form's boxes.
            let form = settings.forms.lazy.compactMap { f in
                FormRegistration.registerText(layer, pageSize: size, dpi: dpi, layout: f.layout).map { PageForm(template: f.template, result: $0) }
            }.first
            return PageOutcome(documentId: documentId, number: number, page: page, words: layer, form: form)
        }
        let raster = try images.pdfPageRaster(doc, number, colour: settings.forms.isEmpty ? .never : .whenColourful)
        if let form = readForm(raster, documentId: documentId, number: number, dpi: dpi, started: t0) { return form }
        return recognise(raster.gray, documentId: documentId, number: number, dpi: dpi, started: t0)
    }

    private func readImage(documentId: Int64, kind: DocumentKind, path: String, number: Int) throws -> PageOutcome {
        let t0 = DispatchTime.now()
        let raster = try images.imagePageRaster(documentId, kind: kind, path: path, number: number, keepColour: !settings.forms.isEmpty)
        let res = raster.gray.resolution
        let dpi = (70...1200).contains(res) ? res : 300
        if let form = readForm(raster, documentId: documentId, number: number, dpi: dpi, started: t0) { return form }
        return recognise(raster.gray, documentId: documentId, number: number, dpi: dpi, started: t0)
    }

    /// The page read as a registered form, when it registers against one of `settings.forms`:
    /// its data layer in strips (FormReader). Nil when it fits none (the page is then read whole).
    private func readForm(_ raster: PageRaster, documentId: Int64, number: Int, dpi: Int, started: DispatchTime) -> PageOutcome? {
        guard !settings.forms.isEmpty else { return nil }
        var darkness = raster.darkness()
        let streaks = DataLayer.streakColumns(darkness)
        darkness = DataLayer.removingStreaks(darkness, columns: streaks)
        for f in settings.forms {
            guard let reference = try? FormReferences.shared.reference(f.layout),
                  let result = FormRegistration.register(darkness, form: reference) else { continue }
            Log.logger("ocr").debug("page \(number): \(f.template) registration inliers \(result.inliers), residual \(result.residual)")
            guard result.accepted else { continue }
            let data = DataLayer.formData(raster, mapping: result.mapping, form: reference)
            if let dump = ProcessInfo.processInfo.environment["DOCRECON_DUMP_FORM"] {
                _ = data.pix(dpi: 200)?.write(path: "\(dump)/\(documentId)-\(number).png", format: .png)
            }
            let words = FormReader.read(data, bands: reference.bands, mapping: result.mapping, ocr: ocr)
            let page = Page(documentId: documentId, number: number, width: raster.gray.width, height: raster.gray.height, dpi: dpi,
                            source: .ocr, skewAngle: 0, orientation: 0, ocrSeconds: seconds(since: started))
            return PageOutcome(documentId: documentId, number: number, page: page, words: words,
                               form: PageForm(template: f.template, result: result))
        }
        return nil
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
