import CPoppler
import Foundation

/// Reads back the text layer of a generated PDF with poppler-glib, so the generator (and its
/// tests) can check that born-digital pages carry real text and scanned pages carry none.
/// A small self-check of the generator, not the product's rasteriser.
public enum PDFTextCheck {
    /// The text poppler extracts from each page (empty for a page with no text layer).
    public static func pageTexts(path: String) throws -> [String] {
        var err: UnsafeMutablePointer<GError>? = nil
        guard let uri = g_filename_to_uri(URL(fileURLWithPath: path).standardizedFileURL.path, nil, &err) else {
            defer { if err != nil { g_error_free(err) } }
            throw SampleError.render("\(path): not a usable file name")
        }
        defer { g_free(uri) }
        guard let doc = poppler_document_new_from_file(uri, nil, &err) else {
            let msg = err.map { String(cString: $0.pointee.message) } ?? "unknown error"
            if err != nil { g_error_free(err) }
            throw SampleError.render("\(path): poppler cannot open it: \(msg)")
        }
        defer { g_object_unref(UnsafeMutableRawPointer(doc)) }
        var texts: [String] = []
        for i in 0..<poppler_document_get_n_pages(doc) {
            guard let page = poppler_document_get_page(doc, i) else { texts.append(""); continue }
            defer { g_object_unref(UnsafeMutableRawPointer(page)) }
            if let t = poppler_page_get_text(page) {
                texts.append(String(cString: t))
                g_free(t)
            } else {
                texts.append("")
            }
        }
        return texts
    }
}
