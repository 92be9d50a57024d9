import Foundation

/// A page drawn once in PDF points (US Letter, origin top-left) as a list of operations, then
/// replayed onto any cairo surface: a PDF page (vector text) or a scanned image at some dpi,
/// possibly rotated. Replaying records every word's ink box in device pixels.
final class Sketch {
    enum Op {
        case text(String, x: Double, y: Double, size: Double, bold: Bool, mono: Bool, gray: Double)
        case line(x0: Double, y0: Double, x1: Double, y1: Double, width: Double, gray: Double)
        case rect(x: Double, y: Double, w: Double, h: Double, width: Double, gray: Double)
        case fill(x: Double, y: Double, w: Double, h: Double, gray: Double)
        /// A page of a PDF drawn under what follows (a printed form's blank), in its own colours.
        case pdfPage(path: String, page: Int)
    }
    enum Align { case left, right, center }

    static let pageWidth = 612.0, pageHeight = 792.0
    private(set) var ops: [Op] = []
    private let measurer: CairoCanvas

    init() throws { measurer = try CairoCanvas(imageWidth: 4, imageHeight: 4) }

    /// Advance width of `s` in points.
    func width(_ s: String, size: Double, bold: Bool = false, mono: Bool = false) -> Double {
        measurer.setFont(size: size, bold: bold, mono: mono)
        return measurer.textExtents(s).adv
    }

    /// Draws `s` with its baseline at `y`; `x` is the left, right or centre edge per `align`.
    /// Returns the left x and the advance width.
    @discardableResult
    func text(_ s: String, x: Double, y: Double, size: Double, bold: Bool = false, mono: Bool = false,
              align: Align = .left, gray: Double = 0) -> (x: Double, width: Double) {
        let w = width(s, size: size, bold: bold, mono: mono)
        let left: Double
        switch align {
        case .left: left = x
        case .right: left = x - w
        case .center: left = x - w / 2
        }
        if !s.trimmingCharacters(in: .whitespaces).isEmpty {
            ops.append(.text(s, x: left, y: y, size: size, bold: bold, mono: mono, gray: gray))
        }
        return (left, w)
    }
    func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, width: Double = 0.8, gray: Double = 0) {
        ops.append(.line(x0: x0, y0: y0, x1: x1, y1: y1, width: width, gray: gray))
    }
    func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, width: Double = 0.8, gray: Double = 0) {
        ops.append(.rect(x: x, y: y, w: w, h: h, width: width, gray: gray))
    }
    func fill(_ x: Double, _ y: Double, _ w: Double, _ h: Double, gray: Double) {
        ops.append(.fill(x: x, y: y, w: w, h: h, gray: gray))
    }
    func pdfPage(_ path: String, page: Int) { ops.append(.pdfPage(path: path, page: page)) }

    /// Draws everything onto `canvas` (whose transform maps points to device units already) and
    /// returns each drawn word with its ink box in device units × `boxScale`.
    /// With `uprightScale`, each word also gets its box before any rotation of the canvas
    /// (points × `uprightScale`), i.e. where a perfect deskew would put it.
    func replay(on canvas: CairoCanvas, boxScale: Double = 1, uprightScale: Double? = nil) -> [SampleWord] {
        var words: [SampleWord] = []
        for op in ops {
            switch op {
            case let .fill(x, y, w, h, gray):
                canvas.setGray(gray); canvas.fillRect(x, y, w, h)
            case let .pdfPage(path, page):
                canvas.drawPDFPage(path: path, page: page)
            case let .rect(x, y, w, h, width, gray):
                canvas.setGray(gray); canvas.strokeRect(x, y, w, h, width: width)
            case let .line(x0, y0, x1, y1, width, gray):
                canvas.setGray(gray); canvas.line(x0, y0, x1, y1, width: width)
            case let .text(s, x, y, size, bold, mono, gray):
                canvas.setGray(gray)
                canvas.setFont(size: size, bold: bold, mono: mono)
                canvas.showText(s, x: x, y: y)
                // Word boxes: the ink extents of each space-separated word at its offset in the string.
                for word in s.split(separator: " ", omittingEmptySubsequences: true) {
                    let start = word.startIndex
                    let prefix = String(s[s.startIndex..<start])
                    let dx = prefix.isEmpty ? 0 : canvas.textExtents(prefix).adv
                    let e = canvas.textExtents(String(word))
                    let x0 = x + dx + e.xb, y0 = y + e.yb, x1 = x0 + e.w, y1 = y0 + e.h
                    let corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)].map { canvas.userToDevice($0.0, $0.1) }
                    let xs = corners.map { $0.0 * boxScale }, ys = corners.map { $0.1 * boxScale }
                    var w = SampleWord(text: String(word), box: [
                        Int(xs.min()!.rounded(.down)), Int(ys.min()!.rounded(.down)),
                        Int(xs.max()!.rounded(.up)), Int(ys.max()!.rounded(.up)),
                    ])
                    if let u = uprightScale {
                        w.upright = [Int((x0 * u).rounded(.down)), Int((y0 * u).rounded(.down)),
                                     Int((x1 * u).rounded(.up)), Int((y1 * u).rounded(.up))]
                    }
                    words.append(w)
                }
            }
        }
        return words
    }
}

/// One drawn word and its ink box `[x0, y0, x1, y1]` in page pixels.
public struct SampleWord: Codable, Sendable, Hashable {
    public var text: String
    public var box: [Int]
    /// On rotated (degraded) pages: the box before the rotation, at the same dpi.
    public var upright: [Int]? = nil
}
