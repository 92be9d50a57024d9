import CTesseract
import Foundation

/// The one owner of Leptonica images. Nothing above this file sees a `PIX` pointer except the
/// Tesseract wrapper, which borrows it for the length of a call.
public final class Pix: @unchecked Sendable {
    let raw: UnsafeMutablePointer<PIX>

    init(owning raw: UnsafeMutablePointer<PIX>) { self.raw = raw }

    deinit {
        var p: UnsafeMutablePointer<PIX>? = raw
        pixDestroy(&p)
    }

    public var width: Int { Int(pixGetWidth(raw)) }
    public var height: Int { Int(pixGetHeight(raw)) }
    public var depth: Int { Int(pixGetDepth(raw)) }
    public var resolution: Int { Int(pixGetXRes(raw)) }

    /// An 8-bit gray image from row-major bytes (one byte per pixel, 0 = black).
    public convenience init?(gray bytes: UnsafeBufferPointer<UInt8>, width: Int, height: Int, dpi: Int) {
        guard width > 0, height > 0, bytes.count >= width * height,
              let p = pixCreate(Int32(width), Int32(height), 8) else { return nil }
        pixSetResolution(p, Int32(dpi), Int32(dpi))
        let wpl = Int(pixGetWpl(p))
        let data = UnsafeMutableRawPointer(pixGetData(p)!).assumingMemoryBound(to: UInt8.self)
        // Leptonica stores each 32-bit word big-endian: on little-endian the byte of pixel x is at x ^ 3.
        for y in 0..<height {
            let row = data + y * wpl * 4
            let src = bytes.baseAddress! + y * width
            var x = 0
            while x + 4 <= width {
                row[x] = src[x + 3]; row[x + 1] = src[x + 2]; row[x + 2] = src[x + 1]; row[x + 3] = src[x]
                x += 4
            }
            while x < width { row[x ^ 3] = src[x]; x += 1 }
        }
        self.init(owning: p)
    }

    /// An 8-bit gray image from cairo RGB24/ARGB32 pixels (native-endian 32-bit words, X R G B
    /// from the most significant byte), luma with integer weights, written straight into
    /// Leptonica's words (pixel 0 of a word in its most significant byte).
    public convenience init?(bgrx data: UnsafePointer<UInt8>, stride: Int, width: Int, height: Int, dpi: Int) {
        guard width > 0, height > 0, stride >= width * 4, let p = pixCreateNoInit(Int32(width), Int32(height), 8) else { return nil }
        pixSetResolution(p, Int32(dpi), Int32(dpi))
        let wpl = Int(pixGetWpl(p))
        let out = pixGetData(p)!
        @inline(__always) func luma(_ px: UInt32) -> UInt32 {
            ((px >> 16 & 0xFF) * 77 + (px >> 8 & 0xFF) * 150 + (px & 0xFF) * 29) >> 8
        }
        let whole = width / 4
        for y in 0..<height {
            let src = UnsafeRawPointer(data + y * stride)
            let row = out + y * wpl
            // Leptonica keeps pixel x of a word in its byte 3 - (x % 4), counted from the least
            // significant: four pixels make one word, first pixel in the top byte. The pad
            // pixels of the last word (width not a multiple of 4) are zero, as pixCreate leaves them.
            for i in 0..<whole {
                let q = src + i * 16
                row[i] = luma(q.loadUnaligned(as: UInt32.self)) << 24 | luma(q.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) << 16
                    | luma(q.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) << 8 | luma(q.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
            }
            if whole * 4 < width {
                var word: UInt32 = 0
                for x in (whole * 4)..<width {
                    word |= luma(src.loadUnaligned(fromByteOffset: x * 4, as: UInt32.self)) << (24 - 8 * UInt32(x % 4))
                }
                row[whole] = word
            }
        }
        self.init(owning: p)
    }

    /// Reads the header of an encoded image (PNG, JPEG, TIFF…) without decoding the pixels.
    public static func header(of data: Data) -> (width: Int, height: Int)? {
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) -> (Int, Int)? in
            guard let base = buf.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
            var fmt: Int32 = 0, w: Int32 = 0, h: Int32 = 0, bps: Int32 = 0, spp: Int32 = 0, cmap: Int32 = 0
            guard pixReadHeaderMem(base, buf.count, &fmt, &w, &h, &bps, &spp, &cmap) == 0 else { return nil }
            return (Int(w), Int(h))
        }
    }

    /// Decodes a PNG or JPEG (or the first TIFF page) from memory.
    public static func decode(_ data: Data) -> Pix? {
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) -> Pix? in
            guard let base = buf.baseAddress?.assumingMemoryBound(to: UInt8.self),
                  let p = pixReadMem(base, buf.count) else { return nil }
            return Pix(owning: p)
        }
    }

    /// Decodes page `index` (0-based) of a TIFF held in memory.
    public static func decodeTIFF(_ data: Data, page index: Int) -> Pix? {
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) -> Pix? in
            guard let base = buf.baseAddress?.assumingMemoryBound(to: UInt8.self),
                  let p = pixReadMemTiff(base, buf.count, Int32(index)) else { return nil }
            return Pix(owning: p)
        }
    }

    /// Number of pages (directories) of a TIFF held in memory, counted without decoding.
    public static func tiffPageCount(_ data: Data) -> Int {
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) -> Int in
            guard let base = buf.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
            guard let fp = fmemopen(UnsafeMutableRawPointer(mutating: base), buf.count, "rb") else { return 0 }
            defer { fclose(fp) }
            var n: Int32 = 0
            return tiffGetCount(fp, &n) == 0 ? Int(n) : 0
        }
    }

    /// Header size of each TIFF page (for the pixel limit), without decoding.
    public static func tiffPageSize(_ data: Data, page index: Int) -> (width: Int, height: Int)? {
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) -> (Int, Int)? in
            guard let base = buf.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
            guard let fp = fmemopen(UnsafeMutableRawPointer(mutating: base), buf.count, "rb") else { return nil }
            defer { fclose(fp) }
            var w: Int32 = 0, h: Int32 = 0, bps: Int32 = 0, spp: Int32 = 0, res: Int32 = 0, cmap: Int32 = 0, fmt: Int32 = 0
            guard freadHeaderTiff(fp, Int32(index), &w, &h, &bps, &spp, &res, &cmap, &fmt) == 0 else { return nil }
            return (Int(w), Int(h))
        }
    }

    /// Converts to 8-bit gray (colormaps removed). Returns self when already 8-bit without colormap.
    public func gray8() -> Pix? {
        if depth == 8 && pixGetColormap(raw) == nil { return self }
        guard let p = pixConvertTo8(raw, 0) else { return nil }
        return Pix(owning: p)
    }

    /// Finds the skew and returns the deskewed image with the angle in degrees (0 when none found).
    public func deskewed() -> (Pix, Double) {
        var angle: Float = 0, conf: Float = 0
        guard let p = pixFindSkewAndDeskew(raw, 2, &angle, &conf) else { return (self, 0) }
        // pixFindSkewAndDeskew returns a clone when it did not rotate; the angle then is not applied.
        let applied = p != raw && conf > 0 ? Double(angle) : 0
        return (Pix(owning: p), applied)
    }

    /// Rotates clockwise by 90° steps (1 = 90°, 2 = 180°, 3 = 270°).
    public func rotatedClockwise(quads: Int) -> Pix? {
        let q = ((quads % 4) + 4) % 4
        if q == 0 { return self }
        guard let p = pixRotateOrth(raw, Int32(q)) else { return nil }
        return Pix(owning: p)
    }

    /// Scaled by `factor` (Leptonica picks the filter: linear interpolation up, area-mapping down).
    public func scaled(_ factor: Double) -> Pix? {
        guard let p = pixScale(raw, Float(factor), Float(factor)) else { return nil }
        return Pix(owning: p)
    }

    /// Gray morphology: darker strokes one pixel wider (a min filter over `size` × `size`),
    /// for faint or broken print. 8-bit images only (self otherwise).
    public func thickened(_ size: Int = 3) -> Pix? {
        guard depth == 8, size > 1 else { return self }
        guard let p = pixErodeGray(raw, Int32(size | 1), Int32(size | 1)) else { return nil }
        return Pix(owning: p)
    }

    /// The print alone: binarised (Otsu over the whole image), without what touches the edge
    /// (rulings, the cut glyphs of a neighbouring cell) and without specks lower than
    /// `minHeightFraction` of the tallest mark, clipped to what remains and framed in white.
    /// 8-bit in, 8-bit out; nil when nothing remains.
    public func printOnly(minHeightFraction: Double = 0.4, border: Int = 12) -> Pix? {
        guard depth == 8, width >= 16, height >= 16 else { return nil }
        var binRaw: UnsafeMutablePointer<PIX>? = nil
        guard pixOtsuAdaptiveThreshold(raw, Int32(width), Int32(height), 0, 0, 0.1, nil, &binRaw) == 0, let b = binRaw else { return nil }
        let bin = Pix(owning: b)
        guard let inner = pixRemoveBorderConnComps(bin.raw, 8).map(Pix.init(owning:)) else { return nil }
        guard let boxa = pixConnComp(inner.raw, nil, 8) else { return nil }
        var tallest: Int32 = 0
        for i in 0..<boxaGetCount(boxa) {
            var x: Int32 = 0, y: Int32 = 0, w: Int32 = 0, h: Int32 = 0
            if boxaGetBoxGeometry(boxa, i, &x, &y, &w, &h) == 0 { tallest = max(tallest, h) }
        }
        var bp: UnsafeMutablePointer<BOXA>? = boxa
        boxaDestroy(&bp)
        guard tallest > 0 else { return nil }
        var changed: Int32 = 0
        let minH = Int32(max(1, (Double(tallest) * minHeightFraction).rounded()))
        guard let kept = pixSelectBySize(inner.raw, 0, minH, 8, Int32(L_SELECT_HEIGHT), Int32(L_SELECT_IF_GTE), &changed)
            .map(Pix.init(owning:)) else { return nil }
        var clippedRaw: UnsafeMutablePointer<PIX>? = nil
        guard pixClipToForeground(kept.raw, &clippedRaw, nil) == 0, let c = clippedRaw else { return nil }
        let clipped = Pix(owning: c)
        guard let framed = pixAddBorder(clipped.raw, Int32(border), 0).map(Pix.init(owning:)),
              let gray = pixConvert1To8(nil, framed.raw, 255, 0) else { return nil }
        pixSetResolution(gray, pixGetXRes(raw), pixGetYRes(raw))
        return Pix(owning: gray)
    }

    /// A white border of `pixels` around the image (a line touching the edge reads worse).
    public func bordered(_ pixels: Int) -> Pix? {
        let white: UInt32 = depth == 1 ? 0 : (depth == 8 ? 255 : 0xFFFFFF00)
        guard let p = pixAddBorder(raw, Int32(pixels), white) else { return nil }
        return Pix(owning: p)
    }

    /// A crop (clipped to the image), for re-reading one field.
    public func cropped(_ box: Box, padding: Int = 0) -> Pix? {
        let x = max(0, box.x0 - padding), y = max(0, box.y0 - padding)
        let w = min(width, box.x1 + padding) - x, h = min(height, box.y1 + padding) - y
        guard w > 0, h > 0, let b = boxCreate(Int32(x), Int32(y), Int32(w), Int32(h)) else { return nil }
        var bp: UnsafeMutablePointer<BOX>? = b
        defer { boxDestroy(&bp) }
        guard let p = pixClipRectangle(raw, b, nil) else { return nil }
        return Pix(owning: p)
    }

    /// PNG bytes of the image.
    public func pngData() -> Data? {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        guard pixWriteMemPng(&out, &size, raw, 0) == 0, let o = out else { return nil }
        defer { free(o) }
        return Data(bytes: o, count: size)
    }

    /// Leptonica prints its own diagnostics on stderr; our callers report failures in one line.
    public static let quietDiagnostics: Void = { _ = setMsgSeverity(Int32(L_SEVERITY_NONE)) }()

    /// Reads an image file (PNG, JPEG, TIFF…); `page` selects a TIFF page (0-based).
    public static func read(path: String, page: Int = 0) -> Pix? {
        let p = page == 0 ? pixRead(path) : pixReadTiff(path, Int32(page))
        return p.map(Pix.init(owning:))
    }

    /// The pixels of an 8-bit image, row-major, one byte each (nil for other depths).
    public func grayBytes() -> [UInt8]? {
        guard depth == 8 else { return nil }
        let w = width, h = height, wpl = Int(pixGetWpl(raw))
        let data = UnsafeMutableRawPointer(pixGetData(raw)!).assumingMemoryBound(to: UInt8.self)
        var out = [UInt8](repeating: 255, count: w * h)
        out.withUnsafeMutableBufferPointer { o in
            for y in 0..<h {
                let row = data + y * wpl * 4
                for x in 0..<w { o[y * w + x] = row[x ^ 3] }
            }
        }
        return out
    }

    public enum FileFormat: Sendable { case png, jpeg, tiff }

    /// Writes the image to `path`; a TIFF may be appended to as its next page.
    public func write(path: String, format: FileFormat, appendPage: Bool = false) -> Bool {
        switch format {
        case .png: return pixWrite(path, raw, Int32(IFF_PNG)) == 0
        case .jpeg: return pixWriteJpeg(path, raw, 75, 0) == 0
        case .tiff: return pixWriteTiff(path, raw, Int32(IFF_TIFF_ZIP), appendPage ? "a" : "w") == 0
        }
    }

}

/// A colour page as plain bytes (row-major R, G, B), kept beside the gray image when the page
/// carries colour: the drop-out of a form's red ink needs it.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var bytes: [UInt8]

    public init(width: Int, height: Int, bytes: [UInt8]) {
        precondition(bytes.count == width * height * 3)
        self.width = width; self.height = height; self.bytes = bytes
    }

    /// From cairo RGB24 pixels (native-endian 32-bit words, X R G B from the most significant byte).
    public init(bgrx data: UnsafePointer<UInt8>, stride: Int, width: Int, height: Int) {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        out.withUnsafeMutableBufferPointer { o in
            for y in 0..<height {
                let src = UnsafeRawPointer(data + y * stride)
                for x in 0..<width {
                    let px = src.loadUnaligned(fromByteOffset: x * 4, as: UInt32.self)
                    let i = (y * width + x) * 3
                    o[i] = UInt8(px >> 16 & 0xFF); o[i + 1] = UInt8(px >> 8 & 0xFF); o[i + 2] = UInt8(px & 0xFF)
                }
            }
        }
        self.init(width: width, height: height, bytes: out)
    }

    /// The darkest channel of each pixel: red ink is dark in green and blue, black in all three.
    public func darkness() -> Raster {
        var out = [UInt8](repeating: 255, count: width * height)
        bytes.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<(width * height) { o[i] = min(b[3 * i], b[3 * i + 1], b[3 * i + 2]) }
            }
        }
        return Raster(width: width, height: height, pixels: out)
    }

    /// Whether the page carries colour: of the pixels that are not paper white, a share of
    /// at least `share` is clearly coloured (one channel 40 levels apart from another). Looks at
    /// every 7th pixel of every 7th row.
    public static func isColourful(_ sample: (Int, Int) -> (UInt8, UInt8, UInt8), width: Int, height: Int, share: Double = 0.05) -> Bool {
        var inked = 0, coloured = 0
        for y in stride(from: 0, to: height, by: 7) {
            for x in stride(from: 0, to: width, by: 7) {
                let (r, g, b) = sample(x, y)
                let hi = max(r, g, b), lo = min(r, g, b)
                if lo > 235 { continue }
                inked += 1
                if hi - lo >= 40 { coloured += 1 }
            }
        }
        return inked >= 50 && Double(coloured) >= share * Double(inked)
    }
}

extension Pix {
    /// The pixels of a 32-bit colour image as R, G, B bytes (nil for other depths).
    public func rgbImage() -> RGBImage? {
        guard depth == 32 else { return nil }
        let w = width, h = height, wpl = Int(pixGetWpl(raw))
        let data = pixGetData(raw)!
        var out = [UInt8](repeating: 0, count: w * h * 3)
        out.withUnsafeMutableBufferPointer { o in
            for y in 0..<h {
                let row = data + y * wpl
                for x in 0..<w {
                    let v = row[x]  // R G B A from the most significant byte
                    let i = (y * w + x) * 3
                    o[i] = UInt8(v >> 24 & 0xFF); o[i + 1] = UInt8(v >> 16 & 0xFF); o[i + 2] = UInt8(v >> 8 & 0xFF)
                }
            }
        }
        return RGBImage(width: w, height: h, bytes: out)
    }

    /// A colour image's pixel (x, y) as R, G, B (32-bit images only).
    public func rgbSampler() -> ((Int, Int) -> (UInt8, UInt8, UInt8))? {
        guard depth == 32 else { return nil }
        let wpl = Int(pixGetWpl(raw)), data = pixGetData(raw)!
        return { x, y in
            let v = data[y * wpl + x]
            return (UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF))
        }
    }

    /// The gray image as a `Raster` (8-bit images; others converted first).
    public func raster() -> Raster? {
        guard let g = gray8(), let bytes = g.grayBytes() else { return nil }
        return Raster(width: g.width, height: g.height, pixels: bytes)
    }
}

extension Raster {
    /// An 8-bit Leptonica image of these pixels.
    public func pix(dpi: Int) -> Pix? {
        pixels.withUnsafeBufferPointer { Pix(gray: $0, width: width, height: height, dpi: dpi) }
    }
}
