import ArgumentParser
import DocRecon
import Foundation

/// Hidden helper for benchmarks and tests: renders PDF pages to 8-bit gray PNGs exactly as the
/// OCR stage sees them (before orientation and deskew), so a peer can read the same pixels.
struct RenderPages: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-pages", abstract: "Render PDF pages to gray PNGs (for benchmarks).")
    @Argument(help: "PDF files.") var files: [String]
    @Option(name: .long, help: "Resolution.") var dpi = 300
    @Option(name: .long, help: "Output folder.") var out: String

    func run() async throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var failed = false
        for f in files {
            do {
                let pdf = try PDFDocument(path: f)
                let base = ((f as NSString).lastPathComponent as NSString).deletingPathExtension
                for n in 1...max(1, pdf.pageCount) {
                    let pix = try pdf.render(n, dpi: dpi, maxPixels: ReadSettings.defaultMaxPixels)
                    guard let png = pix.pngData() else { throw PDFError.pageFailed(n, "cannot encode PNG") }
                    try png.write(to: URL(fileURLWithPath: "\(out)/\(base)-p\(n).png"))
                }
            } catch {
                printError("\(f): \(error)"); failed = true
            }
        }
        if failed { throw ExitCode(2) }
    }
}
