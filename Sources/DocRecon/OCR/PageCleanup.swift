import CTesseract
import Foundation

/// A page image's resolution as the reader takes it, and why.
public struct ResolutionEstimate: Sendable, Equatable {
    public enum Basis: String, Sendable, Codable {
        /// A PDF page rendered by us at a known resolution.
        case rendered
        /// The image's own metadata, found plausible.
        case metadata
        /// The pixel size matches a common paper size.
        case paperSize = "paper-size"
        /// From the height of the page's characters.
        case textHeight = "text-height"
        /// Nothing to go by: the default.
        case assumed
    }
    public var dpi: Int
    public var basis: Basis
    /// One line for the page row (`words` shows it): what was found and why it was taken.
    public var reason: String
}

/// Resolution of page images whose metadata is missing or implausible. A 100-dpi scan taken as
/// 300 dpi makes Tesseract expect characters three times the size they are and read a quarter
/// fewer words (issue 19); PNGs written by scanners and fax gateways very often carry no density.
public enum Resolution {
    /// Portrait sizes in inches.
    static let papers: [(name: String, short: Double, long: Double)] = [
        ("US Letter", 8.5, 11), ("A4", 8.27, 11.69), ("US Legal", 8.5, 14), ("A5", 5.83, 8.27), ("half letter", 5.5, 8.5),
    ]
    /// Resolutions scanners and fax machines write; an estimate within 3% of one is taken as it.
    static let common = [72, 75, 96, 100, 120, 150, 200, 240, 300, 400, 600, 1200]
    /// Screen densities that image tools write when they know nothing.
    static let placeholderDensities: Set<Int> = [72, 96]

    /// The paper size a `width` × `height` pixel page is, and its resolution: both sides must
    /// agree within 2% (a cropped scan, a receipt or a photo matches none).
    public static func paperSize(width: Int, height: Int) -> (name: String, dpi: Int)? {
        guard width > 0, height > 0 else { return nil }
        let s = Double(min(width, height)), l = Double(max(width, height))
        var best: (name: String, dpi: Double, error: Double)?
        for p in papers {
            let ds = s / p.short, dl = l / p.long
            let error = abs(ds - dl) / max(ds, dl)
            if error <= 0.02, error < (best?.error ?? .infinity) { best = (p.name, (ds + dl) / 2, error) }
        }
        guard let b = best, (50...1300).contains(b.dpi) else { return nil }
        return (b.name, snapped(b.dpi))
    }

    static func snapped(_ dpi: Double) -> Int {
        if let c = common.min(by: { abs(Double($0) - dpi) < abs(Double($1) - dpi) }), abs(Double(c) - dpi) <= 0.03 * dpi { return c }
        return Int(dpi.rounded())
    }

    /// Median character height in inches of printed forms and charge sheets (10–12 pt type:
    /// capitals 0.10 in, lower case 0.07 in, the median of a page's glyphs between).
    static let medianGlyphInches = 0.085

    /// The resolution to read a `width` × `height` image with: its `metadata` when plausible,
    /// else the paper size it matches, else the height of its characters (`glyphHeight`, the
    /// median height in pixels, computed only when asked), else 300 dpi.
    public static func estimate(width: Int, height: Int, metadata: Int, glyphHeight: () -> Double?) -> ResolutionEstimate {
        let paper = paperSize(width: width, height: height)
        if metadata > 0 {
            let w = Double(width) / Double(metadata), h = Double(height) / Double(metadata)
            let sizeOK = (70...1200).contains(metadata) && min(w, h) >= 1.5 && max(w, h) <= 24
            if sizeOK, !(placeholderDensities.contains(metadata) && paper != nil && paper!.dpi != metadata) {
                return .init(dpi: metadata, basis: .metadata, reason: "\(metadata) dpi from the image's metadata")
            }
            if let p = paper {
                return .init(dpi: p.dpi, basis: .paperSize,
                             reason: "the metadata's \(metadata) dpi is implausible; \(width)×\(height) px is \(p.name) at \(p.dpi) dpi")
            }
        } else if let p = paper {
            return .init(dpi: p.dpi, basis: .paperSize, reason: "no resolution in the image; \(width)×\(height) px is \(p.name) at \(p.dpi) dpi")
        }
        if let g = glyphHeight(), g >= 3 {
            let dpi = min(1200, max(50, snapped(g / medianGlyphInches)))
            return .init(dpi: dpi, basis: .textHeight,
                         reason: "no usable resolution in the image; characters \(Int(g.rounded())) px high give about \(dpi) dpi")
        }
        return .init(dpi: 300, basis: .assumed, reason: "no usable resolution in the image and no text to measure; 300 dpi assumed")
    }

    /// Below this a page is scaled up before it is read: Tesseract's LSTM model reads best with
    /// capitals about 30 px high (300 dpi); at 100–150 dpi whole words fall under its noise size.
    public static let workingMinimum = 150
    public static let working = 300

    /// The factor to scale a page of `dpi` by before reading it (1 when it is read as it is).
    public static func upscale(for dpi: Int) -> Double {
        dpi >= workingMinimum || dpi <= 0 ? 1 : min(4, Double(working) / Double(dpi))
    }
}

/// What the ink of a page says before it is read: nothing on it, or a page that is nearly all dark.
public struct PageInk: Sendable, Equatable {
    /// Share of pixels darker than mid-gray.
    public var darkShare: Double
    /// Share of pixels clearly darker than the paper (faint pencil, light print count).
    public var inkShare: Double

    /// Counted on every 3rd pixel of every 3rd row.
    public init(_ r: Raster) {
        var dark = 0, ink = 0, n = 0
        r.pixels.withUnsafeBufferPointer { p in
            for y in stride(from: 0, to: r.height, by: 3) {
                for x in stride(from: 0, to: r.width, by: 3) {
                    let v = p[y * r.width + x]
                    n += 1
                    if v < 128 { dark += 1 }
                    if v < 190 { ink += 1 }
                }
            }
        }
        darkShare = n == 0 ? 0 : Double(dark) / Double(n)
        inkShare = n == 0 ? 0 : Double(ink) / Double(n)
    }

    /// No marks at all: less than 0.05% of the page is darker than light gray (a blank sheet's
    /// dust and the scanner's edge stay under it; one typed word of 10 pt is above it).
    public var isBlank: Bool { inkShare < 0.0005 }
    /// Nearly all dark: a black page, a lid left open, a photo of the desk.
    public var isDark: Bool { darkShare > 0.85 }
}

extension Pix {
    /// The median height in pixels of the page's marks that look like characters (connected
    /// components of the Otsu-binarised page, not touching its edge, neither specks nor rules).
    public func medianGlyphHeight() -> Double? {
        guard let g = gray8(), g.width >= 32, g.height >= 32 else { return nil }
        var binRaw: UnsafeMutablePointer<PIX>? = nil
        guard pixOtsuAdaptiveThreshold(g.raw, Int32(g.width), Int32(g.height), 0, 0, 0.1, nil, &binRaw) == 0, let b = binRaw else { return nil }
        let bin = Pix(owning: b)
        guard let inner = pixRemoveBorderConnComps(bin.raw, 8).map(Pix.init(owning:)),
              let boxa = pixConnComp(inner.raw, nil, 8) else { return nil }
        var bp: UnsafeMutablePointer<BOXA>? = boxa
        defer { boxaDestroy(&bp) }
        var heights: [Int32] = []
        let maxH = Int32(max(8, g.height / 20))
        for i in 0..<boxaGetCount(boxa) {
            var x: Int32 = 0, y: Int32 = 0, w: Int32 = 0, h: Int32 = 0
            guard boxaGetBoxGeometry(boxa, i, &x, &y, &w, &h) == 0 else { continue }
            if h >= 3, h <= maxH, w <= 3 * h, w * 8 >= h { heights.append(h) }
        }
        guard heights.count >= 20 else { return nil }
        heights.sort()
        return Double(heights[heights.count / 2])
    }
}

/// Dark borders a scanner leaves around a page (the lid's shadow, the platen beyond a small
/// receipt): Tesseract takes the page for a picture and reads nothing (issue 19: 5 of 98 receipts).
public enum DarkBorder {
    /// The page with its dark border painted white, or nil when it has none. A border is dark
    /// ink (below mid-gray) covering most of an outer strip of the page (2% of its size) that
    /// reaches inwards from the edge; what is connected to it through dark pixels goes with it,
    /// found on a 4× reduced copy, so text that only touches it is not followed far.
    public static func removed(from page: Raster) -> Raster? {
        let w = page.width, h = page.height
        guard w >= 64, h >= 64 else { return nil }
        let f = 4
        let small = page.reduced(by: f)
        let sw = small.width, sh = small.height
        let strip = max(2, min(sw, sh) / 50)
        func darkShare(_ xs: Range<Int>, _ ys: Range<Int>) -> Double {
            var d = 0
            for y in ys { for x in xs where small.pixels[y * sw + x] < 128 { d += 1 } }
            return Double(d) / Double(max(1, xs.count * ys.count))
        }
        let sides = [darkShare(0..<strip, 0..<sh), darkShare(sw - strip..<sw, 0..<sh),
                     darkShare(0..<sw, 0..<strip), darkShare(0..<sw, sh - strip..<sh)]
        guard sides.contains(where: { $0 > 0.5 }) else { return nil }
        // Flood fill of dark pixels from every dark edge pixel.
        var border = [UInt8](repeating: 0, count: sw * sh)
        var stack: [Int] = []
        func seed(_ x: Int, _ y: Int) {
            let i = y * sw + x
            if border[i] == 0, small.pixels[i] < 128 { border[i] = 1; stack.append(i) }
        }
        for x in 0..<sw { seed(x, 0); seed(x, sh - 1) }
        for y in 0..<sh { seed(0, y); seed(sw - 1, y) }
        while let i = stack.popLast() {
            let x = i % sw, y = i / sw
            if x > 0 { seed(x - 1, y) }
            if x < sw - 1 { seed(x + 1, y) }
            if y > 0 { seed(x, y - 1) }
            if y < sh - 1 { seed(x, y + 1) }
        }
        let covered = border.reduce(0) { $0 + Int($1) }
        // The whole page dark is not a border (the ink check names it).
        guard covered > 0, Double(covered) < 0.9 * Double(sw * sh) else { return nil }
        // Grown by one reduced pixel: the border's soft edge goes with it.
        var grown = border
        for y in 0..<sh {
            for x in 0..<sw where border[y * sw + x] != 0 {
                for yy in max(0, y - 1)...min(sh - 1, y + 1) {
                    for xx in max(0, x - 1)...min(sw - 1, x + 1) { grown[yy * sw + xx] = 1 }
                }
            }
        }
        var out = page.pixels
        for y in 0..<h {
            let row = min(sh - 1, y / f) * sw
            for x in 0..<w where grown[row + min(sw - 1, x / f)] != 0 { out[y * w + x] = 255 }
        }
        return Raster(width: w, height: h, pixels: out)
    }
}
