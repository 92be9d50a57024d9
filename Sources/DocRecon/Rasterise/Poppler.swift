import CPoppler
import Foundation

public enum PDFError: Error, CustomStringConvertible, Equatable {
    case encrypted
    case damaged(String)
    case noPages
    case pageFailed(Int, String)
    public var description: String {
        switch self {
        case .encrypted: return "the PDF is encrypted"
        case .damaged(let why): return "the PDF is damaged or truncated (\(why))"
        case .noPages: return "the PDF has no pages"
        case .pageFailed(let n, let why): return "page \(n) cannot be read (\(why))"
        }
    }
}

/// The one owner of poppler-glib objects. A `PDFDocument` is used by one thread at a time.
public final class PDFDocument: @unchecked Sendable {
    private let doc: OpaquePointer
    public let pageCount: Int

    /// Opens the PDF at `path`; throws a clerk-readable reason when it cannot be opened.
    public init(path: String) throws {
        PDFDocument.silencePopplerLog
        var gerr: UnsafeMutablePointer<GError>? = nil
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        guard let uri = g_filename_to_uri(absolute, nil, &gerr) else {
            defer { g_error_free(gerr) }
            throw PDFError.damaged(gerr.map { String(cString: $0.pointee.message) } ?? "bad path")
        }
        defer { g_free(uri) }
        guard let d = poppler_document_new_from_file(uri, nil, &gerr) else {
            defer { if gerr != nil { g_error_free(gerr) } }
            if let e = gerr, e.pointee.code == Int32(POPPLER_ERROR_ENCRYPTED.rawValue) { throw PDFError.encrypted }
            throw PDFError.damaged(gerr.map { String(cString: $0.pointee.message) } ?? "unknown")
        }
        doc = d
        pageCount = Int(poppler_document_get_n_pages(d))
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(doc)) }

    /// Poppler reports syntax errors through GLib's log (domain "Poppler"); a clerk sees our one
    /// line instead, so route them to nowhere (they stay visible with G_MESSAGES_DEBUG=Poppler).
    static let silencePopplerLog: Void = {
        _ = g_log_set_handler("Poppler", GLogLevelFlags(rawValue: GLogLevelFlags.RawValue(G_LOG_LEVEL_MASK.rawValue | G_LOG_FLAG_FATAL.rawValue | G_LOG_FLAG_RECURSION.rawValue)),
                              { _, _, _, _ in }, nil)
    }()

    private func withPage<T>(_ number: Int, _ body: (OpaquePointer) throws -> T) throws -> T {
        guard number >= 1, number <= pageCount, let p = poppler_document_get_page(doc, Int32(number - 1)) else {
            throw PDFError.pageFailed(number, "the page is missing from the PDF")
        }
        defer { g_object_unref(UnsafeMutableRawPointer(p)) }
        return try body(p)
    }

    /// Page size in points (1/72 inch).
    public func pageSize(_ number: Int) throws -> (width: Double, height: Double) {
        try withPage(number) { p in
            var w = 0.0, h = 0.0
            poppler_page_get_size(p, &w, &h)
            return (w, h)
        }
    }

    /// Draws page `number` onto a cairo context at its current transform (in points); nothing
    /// when the page does not exist. (The sample generator puts a blank form under its data.)
    func draw(_ number: Int, into cr: OpaquePointer) {
        _ = try? withPage(number) { p in poppler_page_render(p, cr) }
    }

    /// The text fields of a fillable PDF form on page `number`: each field's name and its
    /// rectangle in points, origin top-left (widgets of one field listed each).
    public func textFields(_ number: Int) throws -> [(name: String, x0: Double, y0: Double, x1: Double, y1: Double)] {
        try withPage(number) { p in
            var wPt = 0.0, hPt = 0.0
            poppler_page_get_size(p, &wPt, &hPt)
            guard let list = poppler_page_get_form_field_mapping(p) else { return [] }
            defer { poppler_page_free_form_field_mapping(list) }
            var out: [(String, Double, Double, Double, Double)] = []
            var node: UnsafeMutablePointer<GList>? = list
            while let n = node {
                if let data = n.pointee.data {
                    let m = data.assumingMemoryBound(to: PopplerFormFieldMapping.self).pointee
                    if let field = m.field, poppler_form_field_get_field_type(field) == POPPLER_FORM_FIELD_TEXT,
                       let cName = poppler_form_field_get_name(field) {
                        let name = String(cString: cName)
                        g_free(cName)
                        // poppler gives the area with y up from the page's bottom.
                        out.append((name, m.area.x1, hPt - m.area.y2, m.area.x2, hPt - m.area.y1))
                    }
                }
                node = n.pointee.next
            }
            return out.map { (name: $0.0, x0: $0.1, y0: $0.2, x1: $0.3, y1: $0.4) }
        }
    }

    /// The page's text as poppler extracts it (empty when the page has no text layer).
    public func pageText(_ number: Int) throws -> String {
        try withPage(number) { p in
            guard let t = poppler_page_get_text(p) else { return "" }
            defer { g_free(t) }
            return String(cString: t)
        }
    }

    /// Every page's text, in order.
    public func pageTexts() throws -> [String] {
        try (0..<pageCount).map { try pageText($0 + 1) }
    }

    /// The page's text layer as words with boxes in pixels at `dpi`. Empty when there is none.
    public func textLayerWords(_ number: Int, dpi: Int) throws -> [RecognizedWord] {
        try withPage(number) { p in
            guard let cText = poppler_page_get_text(p) else { return [] }
            defer { g_free(cText) }
            var rects: UnsafeMutablePointer<PopplerRectangle>? = nil
            var n: guint = 0
            guard poppler_page_get_text_layout(p, &rects, &n) != 0, let rs = rects else { return [] }
            defer { g_free(rs) }
            let scale = Double(dpi) / 72.0
            let scalars = Array(String(cString: cText).unicodeScalars)
            var words: [RecognizedWord] = []
            var current = "", box: (Double, Double, Double, Double)? = nil
            var line = 0, wordIndex = 0
            func flush() {
                if let b = box, !current.isEmpty {
                    words.append(RecognizedWord(
                        text: current,
                        box: Box(Int((b.0 * scale).rounded(.down)), Int((b.1 * scale).rounded(.down)),
                                 Int((b.2 * scale).rounded(.up)), Int((b.3 * scale).rounded(.up))),
                        confidence: 100, block: 0, line: line, word: wordIndex))
                    wordIndex += 1
                }
                current = ""; box = nil
            }
            var previous: PopplerRectangle? = nil
            for (i, s) in scalars.enumerated() where i < Int(n) {
                if s == "\n" { flush(); line += 1; wordIndex = 0; previous = nil; continue }
                if s.properties.isWhitespace { flush(); previous = nil; continue }
                let r = rs[i]
                // Separate text runs on one line come without a space between them: a gap wider
                // than a third of the glyph height, a step back, or a jump in height starts a new word.
                if let p = previous {
                    let height = max(p.y2 - p.y1, r.y2 - r.y1, 1)
                    let gap = r.x1 - p.x2
                    let verticalShift = abs((r.y1 + r.y2) - (p.y1 + p.y2)) / 2
                    if gap > height / 3 || r.x2 < p.x1 || verticalShift > height / 2 { flush() }
                }
                previous = r
                current.unicodeScalars.append(s)
                if let b = box { box = (min(b.0, r.x1), min(b.1, r.y1), max(b.2, r.x2), max(b.3, r.y2)) }
                else { box = (r.x1, r.y1, r.x2, r.y2) }
            }
            flush()
            return words
        }
    }

    /// Renders the page to an 8-bit gray image at `dpi` (white background, as on paper), drawing
    /// into `canvas` (kept by the caller from page to page, so the 33-MB RGB surface of a 300-dpi
    /// letter page is neither allocated, zeroed nor faulted in again for every page).
    public func render(_ number: Int, dpi: Int, maxPixels: Int, canvas: RenderCanvas = RenderCanvas()) throws -> Pix {
        try renderColour(number, dpi: dpi, maxPixels: maxPixels, canvas: canvas, keep: .never).gray
    }

    /// Renders the page like `render`, keeping its colour beside the gray image when the page
    /// has colour (`.whenColourful`) or always.
    public func renderColour(_ number: Int, dpi: Int, maxPixels: Int, canvas: RenderCanvas = RenderCanvas(),
                             keep keepColour: ColourKeeping = .always) throws -> PageRaster {
        try withPage(number) { p in
            var wPt = 0.0, hPt = 0.0
            poppler_page_get_size(p, &wPt, &hPt)
            let scale = Double(dpi) / 72.0
            let w = Int((wPt * scale).rounded()), h = Int((hPt * scale).rounded())
            guard w > 0, h > 0 else { throw PDFError.pageFailed(number, "the page has no size") }
            guard w * h <= maxPixels else {
                throw PDFError.pageFailed(number, "the page would be \(w) × \(h) pixels at \(dpi) dpi, above the limit of \(maxPixels)")
            }
            let stride = Int(cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, Int32(w)))
            guard stride > 0, let data = canvas.whitePixels(bytes: stride * h) else {
                throw PDFError.pageFailed(number, "cannot allocate a \(w) × \(h) image")
            }
            guard let surface = cairo_image_surface_create_for_data(data, CAIRO_FORMAT_RGB24, Int32(w), Int32(h), Int32(stride)) else {
                throw PDFError.pageFailed(number, "out of memory")
            }
            defer { cairo_surface_destroy(surface) }
            guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let cr = cairo_create(surface) else {
                throw PDFError.pageFailed(number, "cannot create a \(w) × \(h) image")
            }
            cairo_scale(cr, scale, scale)
            poppler_page_render(p, cr)
            let status = cairo_status(cr)
            cairo_destroy(cr)
            guard status == CAIRO_STATUS_SUCCESS else {
                throw PDFError.pageFailed(number, String(cString: cairo_status_to_string(status)))
            }
            cairo_surface_flush(surface)
            guard let pix = Pix(bgrx: data, stride: stride, width: w, height: h, dpi: dpi) else {
                throw PDFError.pageFailed(number, "cannot allocate the page image")
            }
            var colour: RGBImage? = nil
            if keepColour != .never {
                let words = UnsafeRawPointer(data)
                let colourful = keepColour == .always || RGBImage.isColourful({ x, y in
                    let px = words.loadUnaligned(fromByteOffset: y * stride + x * 4, as: UInt32.self)
                    return (UInt8(px >> 16 & 0xFF), UInt8(px >> 8 & 0xFF), UInt8(px & 0xFF))
                }, width: w, height: h)
                if colourful { colour = RGBImage(bgrx: data, stride: stride, width: w, height: h) }
            }
            return PageRaster(gray: pix, colour: colour)
        }
    }
}

/// When a rendered or decoded page keeps its colour.
public enum ColourKeeping: Sendable { case never, whenColourful, always }

/// A page as pixels: the 8-bit gray image OCR reads, and its colour when it has any.
public struct PageRaster: @unchecked Sendable {
    public let gray: Pix
    public let colour: RGBImage?
    public init(gray: Pix, colour: RGBImage?) { self.gray = gray; self.colour = colour }

    /// The darkest channel of the colour image, else the gray image.
    public func darkness() -> Raster {
        colour?.darkness() ?? gray.raster() ?? Raster(width: 1, height: 1, fill: 255)
    }
}

/// The memory a page is drawn into, reused from page to page by one thread (a reader keeps one).
public final class RenderCanvas {
    private var buffer: UnsafeMutableRawPointer?
    private var capacity = 0

    public init() {}

    deinit { buffer?.deallocate() }

    /// `bytes` bytes set to white (0xFF: cairo's RGB24 white), valid until the next call.
    func whitePixels(bytes: Int) -> UnsafeMutablePointer<UInt8>? {
        guard bytes > 0 else { return nil }
        if bytes > capacity {
            buffer?.deallocate()
            buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            capacity = bytes
        }
        let p = buffer!.assumingMemoryBound(to: UInt8.self)
        p.initialize(repeating: 0xFF, count: bytes)
        return p
    }
}
