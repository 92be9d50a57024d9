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
    /// Dark borders removed and small print scaled up before OCR (issue 19); off only to measure.
    public var cleanup = true
    public var detectOrientation = true
    /// OSD confidence below which the page is left as it is.
    public var minOrientationConfidence = 1.5
    /// Printed forms a page may be (templates with a `form:`): a page that registers against
    /// one is read box by box from its data layer instead of as a whole.
    public var forms: [FormToRead] = []

    /// The deadline for reading one page, in seconds (issue 21): Tesseract stops at it by itself;
    /// a page still busy in a C call after it (and a grace) is abandoned by the pipeline's
    /// watchdog. Generous: a dense form page reads in about 3 s here, a 1200-dpi page in about 40.
    public var pageSeconds: Double = 300

    /// 150 megapixels: a letter page at 1200 dpi (134 MP) passes, a 50,000 × 50,000 image (2,500 MP) does not.
    public static let defaultMaxPixels = 150_000_000

    public init(tessdata: String) { self.tessdata = tessdata }
}

/// A page that took longer than its deadline (stopped by Tesseract's monitor, or abandoned by the
/// pipeline's watchdog while stuck in a C call).
public struct PageDeadline: Error, CustomStringConvertible, Sendable {
    public let seconds: Double
    public var abandoned = false
    public init(seconds: Double, abandoned: Bool = false) { self.seconds = seconds; self.abandoned = abandoned }
    /// Seconds as a clerk writes them: 300, 0.5.
    public static func shown(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
    public var description: String {
        let s = Self.shown(seconds)
        return abandoned
            ? "reading it took longer than the page deadline of \(s) s; it was abandoned (--page-timeout)"
            : "reading it took longer than the page deadline of \(s) s; it was stopped (--page-timeout)"
    }
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
        ocr.deadline = .now() + settings.pageSeconds
        defer { ocr.deadline = nil }
        let outcome: PageOutcome
        switch kind {
        case .pdf: outcome = try readPDF(documentId: documentId, path: path, number: number)
        case .png, .jpeg, .tiff: outcome = try readImage(documentId: documentId, kind: kind, path: path, number: number)
        }
        if ocr.deadlineHit { throw PageDeadline(seconds: settings.pageSeconds) }
        return outcome
    }

    /// Stops a page between its steps once its deadline has passed (within a step, Tesseract's
    /// monitor stops recognition; anything else is the watchdog's).
    private func checkDeadline() throws {
        if ocr.deadlineHit || ocr.deadline.map({ DispatchTime.now() >= $0 }) == true {
            throw PageDeadline(seconds: settings.pageSeconds)
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
        let resolution = ResolutionEstimate(dpi: dpi, basis: .rendered, reason: "rendered from the PDF at \(dpi) dpi")
        return try readRaster(raster, documentId: documentId, number: number, resolution: resolution, started: t0)
    }

    private func readImage(documentId: Int64, kind: DocumentKind, path: String, number: Int) throws -> PageOutcome {
        let t0 = DispatchTime.now()
        let raster = try images.imagePageRaster(documentId, kind: kind, path: path, number: number, keepColour: !settings.forms.isEmpty)
        let gray = raster.gray
        let resolution = Resolution.estimate(width: gray.width, height: gray.height, metadata: gray.resolution) { gray.medianGlyphHeight() }
        if resolution.basis != .metadata {
            Log.logger("ocr").debug("page \(number): \(resolution.reason)")
        }
        return try readRaster(raster, documentId: documentId, number: number, resolution: resolution, started: t0)
    }

    /// A page's pixels: nothing on it, or nearly all dark, is said so before anything tries to
    /// read it (a black page would otherwise fit any form's lines); then as a form, else whole.
    private func readRaster(_ raster: PageRaster, documentId: Int64, number: Int, resolution: ResolutionEstimate, started: DispatchTime) throws -> PageOutcome {
        try checkDeadline()
        let gray = raster.gray
        let pixels = gray.raster()
        if let r = pixels {
            let ink = PageInk(r)
            var verdict: (PageStatus, String)?
            if ink.isBlank { verdict = (.blank, "the page is blank (nothing printed or written on it)") }
            if ink.isDark { verdict = (.unreadable, "the page is almost all dark (\(Int((ink.darkShare * 100).rounded()))% of it): no text to read") }
            if let (status, error) = verdict {
                let page = Page(documentId: documentId, number: number, width: gray.width, height: gray.height, dpi: resolution.dpi,
                                source: .ocr, ocrSeconds: seconds(since: started), status: status, error: error, resolution: resolution)
                return PageOutcome(documentId: documentId, number: number, page: page, words: [])
            }
        }
        if let form = try readForm(raster, pixels: pixels, documentId: documentId, number: number, resolution: resolution, started: started) { return form }
        try checkDeadline()
        return recognise(gray, pixels: pixels, documentId: documentId, number: number, resolution: resolution, started: started)
    }

    /// The page read as a registered form, when it registers against one of `settings.forms`:
    /// its data layer in strips (FormReader). Nil when it fits none (the page is then read whole).
    /// `pixels`: the gray image's pixels, when the caller has them already.
    private func readForm(_ raster: PageRaster, pixels: Raster?, documentId: Int64, number: Int, resolution: ResolutionEstimate, started: DispatchTime) throws -> PageOutcome? {
        guard !settings.forms.isEmpty else { return nil }
        let dpi = resolution.dpi
        var darkness = raster.colour?.darkness() ?? pixels ?? raster.darkness()
        let streaks = DataLayer.streakColumns(darkness)
        darkness = DataLayer.removingStreaks(darkness, columns: streaks)
        for f in settings.forms {
            try checkDeadline()
            guard let reference = try? FormReferences.shared.reference(f.layout),
                  let result = FormRegistration.register(darkness, form: reference) else { continue }
            Log.logger("ocr").debug("page \(number): \(f.template) registration inliers \(result.inliers), residual \(result.residual)")
            guard result.accepted else { continue }
            let data = DataLayer.formData(raster, mapping: result.mapping, form: reference, gray: pixels, streaks: streaks)
            let words = FormReader.read(data, bands: reference.bands, mapping: result.mapping, ocr: ocr)
            var page = Page(documentId: documentId, number: number, width: raster.gray.width, height: raster.gray.height, dpi: dpi,
                            source: .ocr, skewAngle: 0, orientation: 0, ocrSeconds: seconds(since: started),
                            resolution: resolution, cleanup: "registered as \(f.template)")
            if words.isEmpty {
                page.status = .blank
                page.error = "the \(f.template) form on it is not filled in"
            }
            return PageOutcome(documentId: documentId, number: number, page: page, words: words,
                               form: PageForm(template: f.template, result: result))
        }
        return nil
    }

    /// Ink check → dark border → scale to the working resolution → deskew → OCR, with orientation
    /// detection (OSD) only when the upright reading looks wrong: nearly every scanned sheet is
    /// upright, and OSD on every page would cost ~15% of the OCR time (measured on Samples/: 0.16 s
    /// of 1.1 s a page). A page OSD turns is read again, and the better-reading of the two is kept;
    /// so is a deskewed page whose reading is weak, against the page read as it was scanned.
    private func recognise(_ input: Pix, pixels: Raster?, documentId: Int64, number: Int, resolution: ResolutionEstimate, started: DispatchTime) -> PageOutcome {
        let dpi = resolution.dpi
        var steps: [String] = []
        func outcome(_ words: [RecognizedWord], skew: Double = 0, orientation: Int = 0,
                     status: PageStatus = .ok, error: String? = nil) -> PageOutcome {
            let page = Page(documentId: documentId, number: number, width: input.width, height: input.height, dpi: dpi,
                            source: .ocr, skewAngle: skew, orientation: orientation, ocrSeconds: seconds(since: started),
                            status: status, error: error, resolution: resolution,
                            cleanup: steps.isEmpty ? nil : steps.joined(separator: "; "))
            return PageOutcome(documentId: documentId, number: number, page: page, words: words)
        }
        var base = input
        if settings.cleanup, let r = pixels, let cleaned = DarkBorder.removed(from: r), let p = cleaned.pix(dpi: dpi) {
            base = p; steps.append("dark border removed")
        }
        // Small print read at its own size: scaled up, and the boxes scaled back.
        let factor = settings.cleanup ? Resolution.upscale(for: dpi) : 1
        if factor > 1, let up = base.scaled(factor) {
            base = up; steps.append(String(format: "scaled %.2g× to read at %d dpi", factor, Int(Double(dpi) * factor)))
        }
        let readDpi = factor > 1 ? Int((Double(dpi) * factor).rounded()) : dpi
        let scale = factor > 1 ? factor : 1
        func read(_ p: Pix) -> [RecognizedWord] {
            let w = ocr.words(in: p, dpi: readDpi)
            return scale == 1 ? w : w.map { $0.scaled(by: 1 / scale) }
        }
        var pix = base
        var skew = 0.0
        if settings.deskew {
            let (d, angle) = pix.deskewed()
            pix = d; skew = angle
        }
        var words = read(pix)
        if skew != 0, PageReader.isWeak(words) {
            // Deskew is an estimate: a page it makes worse is read as it was scanned.
            let straight = read(base)
            if PageReader.quality(straight) > PageReader.quality(words) {
                steps.append(String(format: "deskew by %.2f° undone (it read worse)", skew))
                words = straight; pix = base; skew = 0
            }
        }
        var orientation = 0
        if settings.detectOrientation, !PageReader.readsUpright(words), let o = osdHandle(),
           let r = o.detectOrientation(base, dpi: readDpi), r.degrees % 360 != 0, r.confidence >= settings.minOrientationConfidence {
            Log.logger("ocr").debug("page \(number): OSD says \(r.degrees)° (confidence \(r.confidence))")
            // Tesseract reports the text's counter-clockwise orientation; turning the page clockwise
            // by the rest of the circle makes it upright (the CLI's "Rotate: 360 - orientation").
            let quads = (4 - (r.degrees / 90) % 4) % 4
            if var turned = base.rotatedClockwise(quads: quads) {
                var turnedSkew = 0.0
                if settings.deskew { let (d, a) = turned.deskewed(); turned = d; turnedSkew = a }
                let again = read(turned)
                if PageReader.quality(again) > PageReader.quality(words) {
                    words = again; pix = turned; skew = turnedSkew; orientation = quads * 90
                }
            }
        }
        if !PageReader.hasText(words) {
            return outcome(words, skew: skew, orientation: orientation, status: .unreadable,
                           error: "no words could be read from it (\(words.count) marks, none a word read with confidence)")
        }
        var o = outcome(words, skew: skew, orientation: orientation)
        if orientation % 180 != 0 { o.page.width = input.height; o.page.height = input.width }
        return o
    }

    /// A reading that deserves a second try: few confident words, or a low mean confidence.
    static func isWeak(_ words: [RecognizedWord]) -> Bool {
        guard !words.isEmpty else { return true }
        let mean = words.reduce(0) { $0 + $1.confidence } / Double(words.count)
        return !readsUpright(words) || mean < 70
    }

    /// At least three words of two or more letters or digits read with some confidence.
    static func hasText(_ words: [RecognizedWord]) -> Bool {
        var n = 0
        for w in words where w.confidence >= 50 {
            if w.text.unicodeScalars.filter({ CharacterSet.alphanumerics.contains($0) }).count >= 2 { n += 1; if n >= 3 { return true } }
        }
        return false
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

extension RecognizedWord {
    /// The word with its box scaled by `f` (a reading of a scaled page, back in the page's pixels).
    func scaled(by f: Double) -> RecognizedWord {
        var w = self
        w.box = Box(Int((Double(box.x0) * f).rounded(.down)), Int((Double(box.y0) * f).rounded(.down)),
                    Int((Double(box.x1) * f).rounded(.up)), Int((Double(box.y1) * f).rounded(.up)))
        return w
    }
}

func seconds(since t0: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9
}
