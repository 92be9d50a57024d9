import Foundation
import GRDB

/// The second look through Tesseract: re-renders the page (kept while its fields are re-read),
/// turns and deskews it as the page was for OCR, crops the value's box and reads it as one line
/// with a character whitelist for its type. One thread only (one Tesseract handle).
public final class OCRRereader: FieldRereader, @unchecked Sendable {
    let db: AppDatabase
    let ocr: Tesseract
    let maxPixels: Int
    private var page: (doc: Int64, number: Int, pix: Pix, info: Page)?
    /// A registered page's data layer (its typed values only, in the form's frame), which crops of
    /// its boxes are read from instead of the page itself.
    private var formPage: (doc: Int64, number: Int, data: Raster, form: PageForm)?
    private let images: PageImages
    /// The printed forms of the templates, by template name.
    public var forms: [String: FormLayout] = [:]
    /// Time spent in re-reads, for the report.
    public private(set) var seconds = 0.0

    public init(db: AppDatabase, tessdata: String, maxPixels: Int = ReadSettings.defaultMaxPixels) throws {
        self.db = db
        self.ocr = try Tesseract(dataPath: tessdata)
        self.maxPixels = maxPixels
        self.images = PageImages(maxPixels: maxPixels)
    }

    /// Characters a value of each type can hold (nil: any).
    public static func whitelist(_ type: FieldType) -> String? {
        switch type {
        case .npi, .integer, .pos: return "0123456789"
        case .code: return "0123456789ABCDEFGHIJKLMNOPQRSTUV"
        case .icd10: return "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ."
        case .icd10List: return "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ., "
        case .money: return "0123456789.,$ "
        case .date: return "0123456789/-. "
        case .modifier, .modifierList: return "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ "
        case .pointer: return "ABCDEFGHIJKL1234"
        case .text, .name: return nil
        }
    }

    public func reread(documentId: Int64, page number: Int, box: Box, type: FieldType) -> (text: String, confidence: Double)? {
        let t0 = DispatchTime.now()
        defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9 }
        guard let (crop, dpi) = self.crop(documentId, number, box) else { return nil }
        let (text, conf) = ocr.readLine(crop, dpi: dpi, whitelist: Self.whitelist(type))
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : (t, conf / 100)
    }

    /// The crop read several ways, each with the type's whitelist: as it is, and upscaled 2× with
    /// strokes one pixel darker (small, faint print on a low-resolution scan reads better so).
    /// Each reading also gives, for a procedure code or a diagnosis list, the reading its format
    /// decides from the symbols' alternatives (`ConstrainedReading`), when it decides one.
    public func readings(documentId: Int64, page number: Int, box: Box, type: FieldType) -> [CropReading] {
        let t0 = DispatchTime.now()
        defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9 }
        guard let (crop, dpi) = self.crop(documentId, number, box) else { return [] }
        return Self.readings(of: crop, dpi: dpi, type: type, ocr: ocr)
    }

    /// The crop a value is re-read from, and its resolution: on a registered form, the box's part
    /// of the data layer (in the form's frame, straightened, the form's ink taken out); on any
    /// other page read by OCR, the page as it was read.
    private func crop(_ documentId: Int64, _ number: Int, _ box: Box) -> (Pix, Int)? {
        if let (data, form) = try? formData(documentId, number) {
            let corners = [(box.x0, box.y0), (box.x1, box.y0), (box.x1, box.y1), (box.x0, box.y1)]
                .compactMap { form.mapping.toForm(Double($0.0), Double($0.1)) }
            guard corners.count == 4 else { return nil }
            let x0 = Int(corners.map(\.0).min()!), x1 = Int(corners.map(\.0).max()!.rounded(.up))
            let y0 = Int(corners.map(\.1).min()!), y1 = Int(corners.map(\.1).max()!.rounded(.up))
            let pad = max(4, (y1 - y0) / 5)
            let fx0 = max(0, x0 - pad), fy0 = max(0, y0 - pad), fx1 = min(data.width, x1 + pad), fy1 = min(data.height, y1 + pad)
            guard fx1 - fx0 > 2, fy1 - fy0 > 2 else { return nil }
            var px = [UInt8](repeating: 255, count: (fx1 - fx0) * (fy1 - fy0))
            for y in fy0..<fy1 { for x in fx0..<fx1 { px[(y - fy0) * (fx1 - fx0) + x - fx0] = data.pixels[y * data.width + x] } }
            guard let pix = Raster(width: fx1 - fx0, height: fy1 - fy0, pixels: px).pix(dpi: form.mapping.frameDPI) else { return nil }
            return (pix, form.mapping.frameDPI)
        }
        guard let (pix, info) = try? uprightPage(documentId, number), info.source == .ocr else { return nil }
        let pad = max(4, box.height / 5)
        guard let crop = pix.cropped(box, padding: pad) else { return nil }
        return (crop, info.dpi)
    }

    /// The data layer of a page registered against one of `forms`, built once per page.
    private func formData(_ docId: Int64, _ number: Int) throws -> (Raster, PageForm)? {
        if let p = formPage, p.doc == docId, p.number == number { return (p.data, p.form) }
        guard !forms.isEmpty, let (doc, info, form) = try db.read({ db -> (Document, Page, PageForm)? in
            guard let d = try Document.fetchOne(db, key: docId),
                  let p = try Page.filter(Column("document_id") == docId && Column("number") == number).fetchOne(db),
                  p.source == .ocr, let f = try PageForm.fetchOne(db, key: p.id!), f.accepted else { return nil }
            return (d, p, f)
        }), let layout = forms[form.template] else { return nil }
        let reference = try FormReferences.shared.reference(layout)
        let raster: PageRaster
        switch doc.kind {
        case .pdf: raster = try images.pdfPageRaster(try images.pdf(docId, doc.storedPath), info.number, colour: .whenColourful, atDPI: info.dpi)
        case .png, .jpeg, .tiff: raster = try images.imagePageRaster(docId, kind: doc.kind, path: doc.storedPath, number: info.number, keepColour: true)
        }
        let data = DataLayer.formData(raster, mapping: form.mapping, form: reference)
        formPage = (docId, number, data, form)
        return (data, form)
    }

    /// The readings of one crop (see `readings(documentId:page:box:type:)`), with `ocr`.
    public static func readings(of crop: Pix, dpi: Int, type: FieldType, ocr: Tesseract) -> [CropReading] {
        let wl = whitelist(type)
        var out: [CropReading] = []
        /// The plain reading, and the format's reading of the symbols' alternatives when the format decides one.
        func read(_ p: Pix?, _ dpi: Int, _ method: String) {
            guard let p else { return }
            let (text, conf, syms) = ocr.readLineSymbols(p, dpi: dpi, whitelist: wl)
            let frame = Box(0, 0, p.width, p.height)
            var d: (text: String, score: Double)?
            var rivals: [String] = []
            switch type {
            case .code:
                d = ConstrainedReading.decide(syms, formats: ConstrainedReading.codeFormats, crop: frame)
                rivals = ConstrainedReading.rivals(syms, formats: ConstrainedReading.codeFormats, crop: frame)
            case .icd10List: d = ConstrainedReading.icd10List(syms, crop: frame)
            default: d = nil
            }
            if !text.isEmpty { out.append(CropReading(text: text, confidence: conf / 100, method: method, rivals: rivals)) }
            if let d { out.append(CropReading(text: d.text, confidence: d.score / 100, method: method + "-choices", rivals: rivals)) }
        }
        read(crop, dpi, "crop")
        // Small print on a 200-dpi scan: twice the size, strokes one pixel darker.
        read(crop.scaled(2)?.bordered(8)?.thickened(3), dpi * 2, "2x-thick")
        switch type {
        case .integer, .pointer, .code, .pos, .npi, .modifier, .modifierList:
            // Values without punctuation: the print alone, without rulings, specks and cut
            // glyphs of the next cell (a lone `1` beside a speck reads `4`).
            read(crop.printOnly(), dpi, "print")
        default: break
        }
        return out
    }

    private func uprightPage(_ docId: Int64, _ number: Int) throws -> (Pix, Page)? {
        if let p = page, p.doc == docId, p.number == number { return (p.pix, p.info) }
        page = nil
        guard let (doc, info) = try db.read({ db -> (Document, Page)? in
            guard let d = try Document.fetchOne(db, key: docId),
                  let p = try Page.filter(Column("document_id") == docId && Column("number") == number).fetchOne(db) else { return nil }
            return (d, p)
        }) else { return nil }
        guard info.source == .ocr else { return nil }
        // The same pixels the page was read from, so word boxes land on the same place.
        let pix = try images.upright(doc, info)
        page = (docId, number, pix, info)
        return (pix, info)
    }
}

/// The second look under a deadline (issue 21): it renders and reads crops on the writer thread,
/// so a C call stuck there (poppler on a hostile page) would stall the batch. Each look runs on
/// its own thread and is waited for at most `seconds`; one that does not come back is abandoned
/// with the rereader (not thread-safe: the stuck call still holds it), and the rest of the batch
/// is extracted without a second look: its doubtful values stay in review, as read.
public final class DeadlineRereader: FieldRereader, @unchecked Sendable {
    private let inner: any FieldRereader
    public let seconds: Double
    private let lock = NSLock()
    private var abandoned = false

    public init(_ inner: any FieldRereader, seconds: Double) { self.inner = inner; self.seconds = seconds }

    /// A look did not come back in time: no more looks in this process.
    public var isAbandoned: Bool { lock.lock(); defer { lock.unlock() }; return abandoned }

    public func reread(documentId: Int64, page: Int, box: Box, type: FieldType) -> (text: String, confidence: Double)? {
        readings(documentId: documentId, page: page, box: box, type: type).first.map { ($0.text, $0.confidence) }
    }

    public func readings(documentId: Int64, page: Int, box: Box, type: FieldType) -> [CropReading] {
        guard !isAbandoned else { return [] }
        let inner = self.inner
        if let r = try? withDeadline(seconds: seconds, { inner.readings(documentId: documentId, page: page, box: box, type: type) }) {
            return r
        }
        lock.lock(); abandoned = true; lock.unlock()
        Log.logger("extract").warning("document \(documentId) page \(page): the second look took longer than \(PageDeadline.shown(seconds)) s; abandoned, the batch goes on without it")
        return []
    }
}
