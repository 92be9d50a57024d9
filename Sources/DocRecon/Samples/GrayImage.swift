import Foundation

/// An 8-bit gray raster (0 black, 255 white), row-major, plus the scan effects the degraded
/// samples need. Writing to PNG/JPEG/TIFF goes through Leptonica's owner, `Pix`.
public struct GrayImage: Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    /// A 3×3 binomial blur (1-2-1 in each direction): the softness of a cheap scanner.
    public mutating func blur() {
        let w = width, h = height
        var tmp = pixels
        pixels.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    let r = y * w
                    for x in 1..<(w - 1) {
                        let a = Int(src[r + x - 1]), b = Int(src[r + x]), c = Int(src[r + x + 1])
                        let v: Int = (a + 2 * b + c + 2) / 4
                        dst[r + x] = UInt8(v)
                    }
                }
            }
        }
        var out = tmp
        tmp.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 1..<(h - 1) {
                    for x in 0..<w {
                        let i = y * w + x
                        let a = Int(src[i - w]), b = Int(src[i]), c = Int(src[i + w])
                        let v: Int = (a + 2 * b + c + 2) / 4
                        dst[i] = UInt8(v)
                    }
                }
            }
        }
        pixels = out
    }

    /// Sparse speckle: `count` small dark dots (1-3 px) and a few light pinholes in the ink.
    /// Kept sparse so the page still compresses well.
    public mutating func speckle(count: Int, using rng: inout SeededRandom) {
        for _ in 0..<count {
            let cx = rng.int(0...(width - 1)), cy = rng.int(0...(height - 1))
            let r = rng.int(0...1)
            let dark = rng.chance(0.85)
            let value = UInt8(dark ? rng.int(20...110) : 255)
            for y in max(0, cy - r)...min(height - 1, cy + r) {
                for x in max(0, cx - r)...min(width - 1, cx + r) {
                    pixels[y * width + x] = value
                }
            }
        }
    }

    /// Faded toner and off-white paper: maps black to `ink` and white to `paper`, linearly.
    /// The page stays flat (no noise added), so it still compresses well.
    public mutating func tone(ink: UInt8, paper: UInt8) {
        let lo = Int(ink), span = Int(paper) - Int(ink)
        var lut = [UInt8](repeating: 0, count: 256)
        for v in 0..<256 { lut[v] = UInt8(lo + span * v / 255) }
        for i in pixels.indices { pixels[i] = lut[Int(pixels[i])] }
    }

    public typealias FileFormat = Pix.FileFormat

    /// Writes one image (or, for TIFF, several pages) with `dpi` recorded in the file.
    public static func write(_ images: [GrayImage], to path: String, format: FileFormat, dpi: Int) throws {
        guard !images.isEmpty else { throw SampleError.render("no image to write") }
        if format != .tiff && images.count != 1 { throw SampleError.render("only TIFF holds several pages") }
        try? FileManager.default.removeItem(atPath: path)
        for (i, image) in images.enumerated() {
            guard let pix = image.pixels.withUnsafeBufferPointer({ Pix(gray: $0, width: image.width, height: image.height, dpi: dpi) }) else {
                throw SampleError.render("leptonica: cannot allocate a \(image.width)x\(image.height) image")
            }
            guard pix.write(path: path, format: format, appendPage: i > 0) else {
                throw SampleError.render("leptonica could not write \(path)")
            }
        }
    }

    /// Reads an image file (any format Leptonica reads; `page` selects a TIFF page) as 8-bit gray.
    public static func read(path: String, page: Int = 0) throws -> GrayImage {
        guard let pix = Pix.read(path: path, page: page) else {
            throw SampleError.render("leptonica cannot read \(path) page \(page + 1)")
        }
        guard let gray = pix.gray8(), let bytes = gray.grayBytes() else {
            throw SampleError.render("\(path): cannot convert to 8-bit gray")
        }
        return GrayImage(width: gray.width, height: gray.height, pixels: bytes)
    }

    /// The darkest pixel value inside `[x0, y0, x1, y1)` (clipped to the image); 255 when empty.
    public func darkest(_ box: [Int]) -> UInt8 {
        var m: UInt8 = 255
        let x0 = max(0, box[0]), y0 = max(0, box[1]), x1 = min(width, box[2]), y1 = min(height, box[3])
        guard x0 < x1, y0 < y1 else { return 255 }
        for y in y0..<y1 { for x in x0..<x1 { m = min(m, pixels[y * width + x]) } }
        return m
    }
}
