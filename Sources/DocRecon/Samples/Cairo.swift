import CPoppler
import Foundation

/// The cairo boundary of the sample generator: an owning wrapper of one surface and its context.
/// Nothing outside this file sees a cairo pointer.
final class CairoCanvas {
    enum Kind { case pdf, image }
    private let surface: OpaquePointer
    private let cr: OpaquePointer
    let kind: Kind
    /// For image canvases: size in pixels.
    let pixelWidth: Int, pixelHeight: Int

    /// A PDF file whose pages are `widthPt` × `heightPt` points.
    init(pdfPath: String, widthPt: Double, heightPt: Double, title: String) throws {
        guard let s = cairo_pdf_surface_create(pdfPath, widthPt, heightPt),
              cairo_surface_status(s) == CAIRO_STATUS_SUCCESS else {
            throw SampleError.render("cannot create the PDF \(pdfPath)")
        }
        // Fixed metadata, so the same seed gives the same file where cairo allows it.
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title)
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "DocRecon sample generator (synthetic data)")
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, "2026-11-01T00:00:00Z")
        surface = s
        cr = cairo_create(s)
        kind = .pdf
        pixelWidth = 0; pixelHeight = 0
        Self.setFontOptions(cr)
    }

    /// A white RGB image of `width` × `height` pixels.
    init(imageWidth: Int, imageHeight: Int) throws {
        guard let s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(imageWidth), Int32(imageHeight)),
              cairo_surface_status(s) == CAIRO_STATUS_SUCCESS else {
            throw SampleError.render("cannot create a \(imageWidth)x\(imageHeight) image")
        }
        surface = s
        cr = cairo_create(s)
        kind = .image
        pixelWidth = imageWidth; pixelHeight = imageHeight
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        Self.setFontOptions(cr)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    /// Unhinted outlines and linear metrics: a string measures the same at every scale, so the
    /// layout measured once lands where it says on every surface.
    private static func setFontOptions(_ cr: OpaquePointer) {
        let o = cairo_font_options_create()
        cairo_font_options_set_hint_style(o, CAIRO_HINT_STYLE_NONE)
        cairo_font_options_set_hint_metrics(o, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_antialias(o, CAIRO_ANTIALIAS_GRAY)
        cairo_set_font_options(cr, o)
        cairo_font_options_destroy(o)
    }

    // MARK: transform
    /// Draws page `page` of the PDF at `path` at the current transform (points), as poppler renders it.
    func drawPDFPage(path: String, page: Int) {
        guard let doc = try? PDFDocument(path: path) else { return }
        cairo_save(cr)
        doc.draw(page, into: cr)
        cairo_restore(cr)
    }

    func save() { cairo_save(cr) }
    func restore() { cairo_restore(cr) }
    func scale(_ s: Double) { cairo_scale(cr, s, s) }
    func translate(_ x: Double, _ y: Double) { cairo_translate(cr, x, y) }
    func rotate(degrees: Double) { cairo_rotate(cr, degrees * .pi / 180) }
    func userToDevice(_ x: Double, _ y: Double) -> (Double, Double) {
        var dx = x, dy = y
        cairo_user_to_device(cr, &dx, &dy)
        return (dx, dy)
    }

    // MARK: drawing
    func setGray(_ g: Double) { cairo_set_source_rgb(cr, g, g, g) }
    func fillRect(_ x: Double, _ y: Double, _ w: Double, _ h: Double) {
        cairo_rectangle(cr, x, y, w, h); cairo_fill(cr)
    }
    func strokeRect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, width: Double) {
        cairo_set_line_width(cr, width); cairo_rectangle(cr, x, y, w, h); cairo_stroke(cr)
    }
    func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, width: Double) {
        cairo_set_line_width(cr, width); cairo_move_to(cr, x0, y0); cairo_line_to(cr, x1, y1); cairo_stroke(cr)
    }
    func setFont(size: Double, bold: Bool, mono: Bool = false) {
        cairo_select_font_face(cr, mono ? "DejaVu Sans Mono" : "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
    }
    /// Ink extents of `s` in user units: (xBearing, yBearing, width, height, xAdvance).
    func textExtents(_ s: String) -> (xb: Double, yb: Double, w: Double, h: Double, adv: Double) {
        var e = cairo_text_extents_t()
        cairo_text_extents(cr, s, &e)
        return (e.x_bearing, e.y_bearing, e.width, e.height, e.x_advance)
    }
    /// Draws `s` with its baseline starting at (x, y).
    func showText(_ s: String, x: Double, y: Double) {
        cairo_move_to(cr, x, y)
        cairo_show_text(cr, s)
    }
    func showPage() { cairo_show_page(cr) }

    /// Paints a gray image (one byte per pixel, row-major) at the origin with the current transform.
    func paintGray(_ image: GrayImage) throws {
        guard let img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(image.width), Int32(image.height)) else {
            throw SampleError.render("cannot create an image surface")
        }
        defer { cairo_surface_destroy(img) }
        cairo_surface_flush(img)
        let stride = Int(cairo_image_surface_get_stride(img))
        guard let data = cairo_image_surface_get_data(img) else { throw SampleError.render("image surface has no data") }
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<image.height {
                let row = data + y * stride
                let srow = y * image.width
                for x in 0..<image.width {
                    let g = src[srow + x]
                    row[4 * x] = g; row[4 * x + 1] = g; row[4 * x + 2] = g; row[4 * x + 3] = 255
                }
            }
        }
        cairo_surface_mark_dirty(img)
        cairo_set_source_surface(cr, img, 0, 0)
        cairo_paint(cr)
    }

    /// The image canvas as gray bytes (B,G,R,X in memory on little-endian; all equal for our drawings).
    func grayPixels() -> GrayImage {
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = cairo_image_surface_get_data(surface)!
        var out = [UInt8](repeating: 255, count: pixelWidth * pixelHeight)
        out.withUnsafeMutableBufferPointer { dst in
            for y in 0..<pixelHeight {
                let row = data + y * stride
                for x in 0..<pixelWidth {
                    let b = Int(row[4 * x]), g = Int(row[4 * x + 1]), r = Int(row[4 * x + 2])
                    dst[y * pixelWidth + x] = UInt8((r * 299 + g * 587 + b * 114) / 1000)
                }
            }
        }
        return GrayImage(width: pixelWidth, height: pixelHeight, pixels: out)
    }

    func finish() throws {
        cairo_surface_finish(surface)
        let st = cairo_surface_status(surface)
        guard st == CAIRO_STATUS_SUCCESS else {
            throw SampleError.render("cairo: \(String(cString: cairo_status_to_string(st)))")
        }
    }
}

public enum SampleError: Error, CustomStringConvertible {
    case render(String)
    case badArgument(String)
    public var description: String {
        switch self {
        case .render(let s): return s
        case .badArgument(let s): return s
        }
    }
}
