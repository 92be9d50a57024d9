import CLeptFast
import CTesseract
import Foundation
import Testing
@testable import DocRecon

/// CLeptFast defines pixOpenBrick, pixCloseBrick and pixWriteMem again so that Tesseract's calls
/// bind to faster versions. Each must give exactly what Leptonica's own function gives.
struct LeptFastTests {
    /// A 1-bpp image: speckle noise, long horizontal and vertical strokes of a few pixels'
    /// thickness (what Tesseract's line finder looks for), strokes running off the edges, and
    /// the pad bits past each row's end set (they are not pixels and must not count).
    static func binaryImage(width: Int, height: Int, seed: UInt64) -> DocRecon.Pix {
        var rng = SplitMix64(state: seed)
        let p = pixCreate(Int32(width), Int32(height), 1)!
        func set(_ x: Int, _ y: Int) {
            if x >= 0, x < width, y >= 0, y < height { pixSetPixel(p, Int32(x), Int32(y), 1) }
        }
        let density = 2 + Int(rng.next() % 5)
        for y in 0..<height { for x in 0..<width where rng.next() % UInt64(density) == 0 { set(x, y) } }
        for _ in 0..<8 {
            let thick = 1 + Int(rng.next() % 4)
            let horizontal = rng.next() % 2 == 0
            let along = horizontal ? width : height, across = horizontal ? height : width
            let start = Int(rng.next() % UInt64(along + 20)) - 10
            let length = Int(rng.next() % UInt64(along + 10)) + 1
            let at = Int(rng.next() % UInt64(across))
            for a in start..<(start + length) {
                for t in 0..<thick { horizontal ? set(a, at + t) : set(at + t, a) }
            }
        }
        pixSetPadBits(p, 1)
        return DocRecon.Pix(owning: p)
    }

    static func same(_ a: UnsafeMutablePointer<PIX>?, _ b: UnsafeMutablePointer<PIX>?) -> Bool {
        guard let a, let b else { return false }
        var equal: Int32 = 0
        return pixEqual(a, b, &equal) == 0 && equal == 1
    }

    enum Operation: String, CaseIterable, Sendable { case open, close, erode, dilate }

    static func original(_ op: Operation, _ pixs: DocRecon.Pix, _ h: Int, _ v: Int) -> UnsafeMutablePointer<PIX>? {
        let raw = UnsafeMutableRawPointer(pixs.raw), h = Int32(h), v = Int32(v)
        let r = switch op {
        case .open: docrecon_lept_original_open_brick(nil, raw, h, v)
        case .close: docrecon_lept_original_close_brick(nil, raw, h, v)
        case .erode: docrecon_lept_original_erode_brick(nil, raw, h, v)
        case .dilate: docrecon_lept_original_dilate_brick(nil, raw, h, v)
        }
        return r?.assumingMemoryBound(to: PIX.self)
    }

    static func ours(_ op: Operation, _ pixs: DocRecon.Pix, _ h: Int, _ v: Int) -> UnsafeMutablePointer<PIX>? {
        let h = Int32(h), v = Int32(v)
        return switch op {
        case .open: pixOpenBrick(nil, pixs.raw, h, v)
        case .close: pixCloseBrick(nil, pixs.raw, h, v)
        case .erode: pixErodeBrick(nil, pixs.raw, h, v)
        case .dilate: pixDilateBrick(nil, pixs.raw, h, v)
        }
    }

    static func destroy(_ ps: UnsafeMutablePointer<PIX>?...) {
        for p in ps { var q = p; pixDestroy(&q) }
    }

    /// Brick sizes: Tesseract's at 300 dpi (5 x 5, 15 x 15, 1 x 75, 75 x 1) and others around
    /// word boundaries (31, 32, 33, 64), even and odd, and larger than the image.
    static let bricks: [(Int, Int)] = [
        (1, 2), (2, 1), (2, 2), (5, 5), (15, 15), (1, 75), (75, 1), (3, 8), (8, 3),
        (31, 1), (32, 1), (33, 1), (1, 31), (1, 32), (1, 64), (65, 2), (7, 200), (300, 1),
    ]
    static let sizes: [(Int, Int)] = [(1, 1), (5, 3), (31, 17), (32, 32), (33, 40), (95, 61), (200, 150)]

    @Test(arguments: Operation.allCases)
    func brickMorphologyIsLeptonicasPixelForPixel(_ op: Operation) throws {
        let before = docrecon_lept_fast_morph_calls()
        var cases = 0
        for (i, (w, h)) in Self.sizes.enumerated() {
            for (j, (bh, bv)) in Self.bricks.enumerated() {
                let pix = Self.binaryImage(width: w, height: h, seed: UInt64(1000 * i + j))
                let mine = Self.ours(op, pix, bh, bv), theirs = Self.original(op, pix, bh, bv)
                #expect(Self.same(mine, theirs), "\(op) \(bh)x\(bv) on \(w)x\(h)")
                Self.destroy(mine, theirs)
                cases += 1
            }
        }
        // Every case went through the fast path (the counter is process-wide: at least ours).
        #expect(docrecon_lept_fast_morph_calls() - before >= cases)
    }

    @Test func casesOutsideTheFastPathGoToLeptonica() throws {
        // A given destination, and an 8-bpp image: Leptonica's own function answers.
        let pix = Self.binaryImage(width: 64, height: 48, seed: 7)
        let dest = pixCreateTemplate(pix.raw)
        let into = pixOpenBrick(dest, pix.raw, 1, 9)
        let theirs = Self.original(.open, pix, 1, 9)
        #expect(into == dest && Self.same(into, theirs))
        Self.destroy(into, theirs)
        let gray = pixConvert1To8(nil, pix.raw, 255, 0)
        #expect(pixOpenBrick(nil, gray, 3, 3) == nil) // Leptonica refuses non-binary input
        Self.destroy(gray)
    }

    /// The four calls Tesseract's line finder makes, on a real page: a degraded 200-dpi scan of a
    /// ruled form, rendered and binarised as OCR sees it.
    @Test func lineFinderCallsOnARealPageMatch() throws {
        let pdf = try PDFDocument(path: TestSupport.repoRoot.appendingPathComponent("Samples/sheets/degraded-03-superbill.pdf").path)
        let page = try pdf.render(1, dpi: 300, maxPixels: ReadSettings.defaultMaxPixels)
        let binary = DocRecon.Pix(owning: try #require(pixThresholdToBinary(page.raw, 160)))
        var ruled: Int32 = 0
        let calls: [(Operation, Int, Int)] = [(.close, 5, 5), (.open, 15, 15), (.open, 1, 75), (.open, 75, 1), (.erode, 1, 6), (.dilate, 3, 3)]
        for (op, h, v) in calls {
            let mine = Self.ours(op, binary, h, v), theirs = Self.original(op, binary, h, v)
            #expect(Self.same(mine, theirs), "\(op) \(h)x\(v)")
            if op == .open, h == 75 || v == 75 { // the form's rulings
                var count: Int32 = 0
                pixCountPixels(mine, &count, nil)
                ruled += count
            }
            Self.destroy(mine, theirs)
        }
        #expect(ruled > 5000)
    }

    /// Gray images with text-like strokes and noise, turned by angles around deskew's range, by
    /// large ones, and by angles below Leptonica's threshold (a plain copy).
    @Test(arguments: [Float(0.0005), -0.0012, 0.0035, -0.02, 0.033, 0.3, -1.2, 3.0])
    func rotationIsLeptonicasPixelForPixel(angle: Float) throws {
        let before = docrecon_lept_fast_rotate_calls()
        for (i, (w, h)) in [(2, 2), (3, 7), (33, 20), (200, 150), (641, 480)].enumerated() {
            var rng = SplitMix64(state: UInt64(i + 1))
            let p = pixCreate(Int32(w), Int32(h), 8)!
            for y in 0..<h { for x in 0..<w { pixSetPixel(p, Int32(x), Int32(y), UInt32(rng.next() % 256)) } }
            let pix = DocRecon.Pix(owning: p)
            for gray: UInt8 in [255, 0] {
                let mine = pixRotateAMGray(pix.raw, angle, gray)
                let theirs = docrecon_lept_original_rotate_am_gray(UnsafeMutableRawPointer(pix.raw), angle, gray)?
                    .assumingMemoryBound(to: PIX.self)
                #expect(Self.same(mine, theirs), "\(angle) rad on \(w)x\(h), fill \(gray)")
                Self.destroy(mine, theirs)
            }
        }
        if abs(angle) >= 0.001 { #expect(docrecon_lept_fast_rotate_calls() - before >= 10) }
    }

    /// Our deskew of a real skewed scan: the same image and angle as with Leptonica's own.
    @Test func deskewOfARealScanMatches() throws {
        let pdf = try PDFDocument(path: TestSupport.repoRoot.appendingPathComponent("Samples/sheets/degraded-01-cms1500.pdf").path)
        let page = try pdf.render(1, dpi: 300, maxPixels: ReadSettings.defaultMaxPixels)
        let before = docrecon_lept_fast_rotate_calls()
        let (deskewed, angle) = page.deskewed()
        #expect(abs(angle) > 0.1 && docrecon_lept_fast_rotate_calls() > before)
        let radians = Float(3.1415926535 / 180.0) * Float(angle) // as pixDeskewGeneral turns it
        let theirs = docrecon_lept_original_rotate_am_gray(UnsafeMutableRawPointer(page.raw), radians, 255)?
            .assumingMemoryBound(to: PIX.self)
        #expect(Self.same(deskewed.raw, theirs))
        Self.destroy(theirs)
    }

    /// Tesseract's line images go through the level-0 PNG path; our own PNGs keep Leptonica's
    /// default compression.
    @Test func onlyTesseractsPNGsAreStored() throws {
        let pdf = try PDFDocument(path: TestSupport.fixture("intake/born-digital.pdf").path)
        let page = try pdf.render(1, dpi: 300, maxPixels: ReadSettings.defaultMaxPixels)
        let before = docrecon_lept_fast_png_calls()
        let ocr = try Tesseract(dataPath: TessdataLocator.locate(explicit: nil), language: "eng")
        let words = ocr.words(in: page, dpi: 300)
        #expect(words.contains { $0.text == "40917733" })
        #expect(docrecon_lept_fast_png_calls() - before >= 3) // one per text line
        // A mostly white page compresses to a small fraction of its pixels at zlib's default level.
        let png = try #require(page.pngData())
        #expect(png.count < page.width * page.height / 20)
    }

    /// The whole OCR output of a ruled, degraded scan is the same with Leptonica's own functions
    /// (DOCRECON_LEPT_FAST=0) as with ours: every word, box and confidence.
    @Test func ocrOutputIsTheSameWithLeptonicasOwnFunctions() throws {
        let dir = try TestSupport.tempDir("leptfast")
        let sample = TestSupport.repoRoot.appendingPathComponent("Samples/sheets/degraded-06-charge-ticket.pdf").path
        var outputs: [String] = []
        for (tag, env) in [("ours", [String: String]()), ("leptonica", ["DOCRECON_LEPT_FAST": "0"])] {
            let db = dir.appendingPathComponent("\(tag).sqlite").path
            let ingest = try TestSupport.run(["--db", db, "--verbose", "ingest", "--no-extract", "--jobs", "1", sample], env: env)
            #expect(ingest.status == 0, "\(ingest.stderr)")
            // The built binary's own calls reach CLeptFast (its definitions are exported), or
            // with DOCRECON_LEPT_FAST=0 none do.
            let marker = "Leptonica calls served by CLeptFast:"
            let served = ingest.stderr.components(separatedBy: "\n").first { $0.contains(marker) } ?? ""
            let counts = served.components(separatedBy: marker).last!.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            #expect(counts.count == 3)
            if tag == "ours" { #expect(counts.allSatisfy { $0 > 0 }, "\(counts)") } else { #expect(counts == [0, 0, 0]) }
            let words = try TestSupport.run(["--db", db, "words", "1", "--json"], env: env)
            #expect(words.status == 0)
            outputs.append(words.stdout)
        }
        #expect(outputs[0].count > 1000)
        #expect(outputs[0] == outputs[1])
    }
}

/// Cairo's BGRX pixels to Leptonica's 8-bit gray, four pixels a word.
struct PixFromCairoTests {
    @Test(arguments: [1, 2, 3, 4, 5, 7, 8, 33])
    func everyPixelIsItsLuma(width: Int) throws {
        let height = 3, stride = width * 4 + 8 // rows with slack, as cairo may give
        var rng = SplitMix64(state: UInt64(width))
        let bytes = (0..<(stride * height)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let pix = try #require(bytes.withUnsafeBufferPointer {
            DocRecon.Pix(bgrx: $0.baseAddress!, stride: stride, width: width, height: height, dpi: 300)
        })
        #expect(pix.width == width && pix.height == height && pix.depth == 8 && pix.resolution == 300)
        for y in 0..<height {
            for x in 0..<width {
                let b = Int(bytes[y * stride + x * 4]), g = Int(bytes[y * stride + x * 4 + 1]), r = Int(bytes[y * stride + x * 4 + 2])
                var v: UInt32 = 0
                pixGetPixel(pix.raw, Int32(x), Int32(y), &v)
                #expect(Int(v) == (r * 77 + g * 150 + b * 29) >> 8, "pixel \(x),\(y)")
            }
            // The pad pixels of the row's last word are zero.
            let words = pixGetData(pix.raw)! + y * Int(pixGetWpl(pix.raw))
            let last = words[Int(pixGetWpl(pix.raw)) - 1]
            let used = width % 4 == 0 ? 4 : width % 4
            #expect(used == 4 || last & (UInt32.max >> (8 * UInt32(used))) == 0)
        }
    }
}
