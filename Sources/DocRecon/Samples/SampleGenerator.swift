import Foundation

/// How a generated page reaches its file.
public enum SampleVariant: String, CaseIterable, Sendable {
    /// Vector text drawn straight onto a PDF page: the PDF has a real text layer.
    case bornDigital = "born-digital"
    /// Rendered to a 300-dpi gray image, and only that image placed on the PDF page.
    case clean
    /// 200 dpi, rotated within ±2°, speckled and blurred, then embedded like `clean`.
    case degraded

    var dpi: Int { self == .degraded ? 200 : 300 }
}

/// Renders synthetic charge sheets with their ground truth. All data is invented (SampleData).
public enum SampleGenerator {
    /// One page to draw: a record in a layout, with the seed its layout choices come from.
    public struct PageSpec: Sendable {
        public var record: SampleRecord
        public var layout: SampleLayout
        public var layoutSeed: UInt64
        public init(record: SampleRecord, layout: SampleLayout, layoutSeed: UInt64) {
            self.record = record; self.layout = layout; self.layoutSeed = layoutSeed
        }
        /// A page whose record and layout choices all follow from `seed`.
        public static func random(seed: UInt64, layout: SampleLayout) -> PageSpec {
            var rng = SeededRandom(seed: seed)
            let record = SampleData.record(using: &rng)
            return PageSpec(record: record, layout: layout, layoutSeed: rng.next())
        }
    }

    /// A rendered page: gray pixels (scanned variants) and the words with their boxes.
    struct RenderedPage {
        var image: GrayImage?
        var words: SampleTruth.PageWords
        var printed: PrintedRecord
        var sketch: Sketch
    }

    static func sketch(_ spec: PageSpec) throws -> (Sketch, PrintedRecord) {
        let s = try Sketch()
        var rng = SeededRandom(seed: spec.layoutSeed)
        let printed = spec.layout.draw(spec.record, on: s, using: &rng)
        return (s, printed)
    }

    /// Rasterises one page for a scanned variant.
    static func rasterise(_ spec: PageSpec, page: Int, variant: SampleVariant) throws -> RenderedPage {
        let (s, printed) = try sketch(spec)
        let dpi = variant.dpi
        let w = Int((Sketch.pageWidth * Double(dpi) / 72).rounded()), h = Int((Sketch.pageHeight * Double(dpi) / 72).rounded())
        let canvas = try CairoCanvas(imageWidth: w, imageHeight: h)
        var effects = SeededRandom(seed: spec.layoutSeed ^ 0xD15C_0BAD)
        var rotation: Double? = nil
        if variant == .degraded {
            var angle = effects.double(-2, 2)
            if abs(angle) < 0.25 { angle = angle < 0 ? -0.25 : 0.25 }
            rotation = (angle * 100).rounded() / 100
            canvas.translate(Double(w) / 2, Double(h) / 2)
            canvas.rotate(degrees: rotation!)
            canvas.translate(-Double(w) / 2, -Double(h) / 2)
        }
        canvas.scale(Double(dpi) / 72)
        let words = s.replay(on: canvas, uprightScale: rotation == nil ? nil : Double(dpi) / 72)
        var image = canvas.grayPixels()
        if variant == .degraded {
            image.tone(ink: UInt8(effects.int(0...60)), paper: UInt8(effects.int(232...255)))
            image.speckle(count: effects.int(400...900), using: &effects)
            image.blur()
        }
        // Debugging aid: DOCRECON_SAMPLE_PREVIEW=DIR also writes every rasterised page as PNG there.
        if let dir = ProcessInfo.processInfo.environment["DOCRECON_SAMPLE_PREVIEW"], !dir.isEmpty {
            let name = "\(spec.layout.rawValue)-\(variant.rawValue)-\(spec.layoutSeed % 100_000)-p\(page).png"
            try GrayImage.write([image], to: URL(fileURLWithPath: dir).appendingPathComponent(name).path, format: .png, dpi: dpi)
        }
        return RenderedPage(image: image, words: SampleTruth.PageWords(page: page, dpi: dpi, width: w, height: h,
                                                                      rotation: rotation, words: words),
                            printed: printed, sketch: s)
    }

    /// Writes a PDF of `specs` (one page each) in `variant`, and its truth beside it.
    @discardableResult
    public static func writePDF(_ specs: [PageSpec], variant: SampleVariant, to pdfURL: URL, seed: UInt64? = nil) throws -> SampleTruth {
        let canvas = try CairoCanvas(pdfPath: pdfURL.path, widthPt: Sketch.pageWidth, heightPt: Sketch.pageHeight,
                                     title: "Synthetic charge sheet")
        var pages: [SampleTruth.PageWords] = []
        var records: [SampleTruth.Record] = []
        for (i, spec) in specs.enumerated() {
            switch variant {
            case .bornDigital:
                let (s, printed) = try sketch(spec)
                canvas.save()
                let words = s.replay(on: canvas, boxScale: 300.0 / 72)
                canvas.restore()
                pages.append(SampleTruth.PageWords(page: i + 1, dpi: 300, width: 2550, height: 3300, words: words))
                records.append(SampleTruth.Record(pages: [i + 1], fields: printed.fields, lines: printed.lines))
            case .clean, .degraded:
                let r = try rasterise(spec, page: i + 1, variant: variant)
                canvas.save()
                canvas.scale(72.0 / Double(variant.dpi))
                try canvas.paintGray(r.image!)
                canvas.restore()
                pages.append(r.words)
                records.append(SampleTruth.Record(pages: [i + 1], fields: r.printed.fields, lines: r.printed.lines))
            }
            canvas.showPage()
        }
        try canvas.finish()
        let truth = SampleTruth(document: .init(name: pdfURL.lastPathComponent, type: documentType(specs),
                                                variant: variant.rawValue, layout: layoutName(specs), seed: seed),
                                records: records, pages: pages)
        try writeTruth(truth, beside: pdfURL)
        return truth
    }

    /// Writes clean 300-dpi scans of `specs` as PNG, JPEG (one page) or TIFF (any pages), with truth.
    @discardableResult
    public static func writeImage(_ specs: [PageSpec], format: GrayImage.FileFormat, to url: URL, seed: UInt64? = nil) throws -> SampleTruth {
        var images: [GrayImage] = []
        var pages: [SampleTruth.PageWords] = []
        var records: [SampleTruth.Record] = []
        for (i, spec) in specs.enumerated() {
            let r = try rasterise(spec, page: i + 1, variant: .clean)
            images.append(r.image!)
            pages.append(r.words)
            records.append(SampleTruth.Record(pages: [i + 1], fields: r.printed.fields, lines: r.printed.lines))
        }
        try GrayImage.write(images, to: url.path, format: format, dpi: 300)
        let truth = SampleTruth(document: .init(name: url.lastPathComponent, type: documentType(specs), variant: "clean",
                                                layout: layoutName(specs), seed: seed),
                                records: records, pages: pages)
        try writeTruth(truth, beside: url)
        return truth
    }

    static func documentType(_ specs: [PageSpec]) -> String {
        Set(specs.map(\.layout.documentType)).count == 1 ? specs[0].layout.documentType : "charge_sheet"
    }
    static func layoutName(_ specs: [PageSpec]) -> String {
        var seen: [String] = []
        for s in specs where !seen.contains(s.layout.rawValue) { seen.append(s.layout.rawValue) }
        return seen.joined(separator: "+")
    }

    static func writeTruth(_ truth: SampleTruth, beside url: URL) throws {
        let json = url.deletingPathExtension().appendingPathExtension("json")
        try Data((try truth.encoded() + "\n").utf8).write(to: json, options: .atomic)
    }

    /// Seed of the `index`-th document of a kind within a set: stable when `count` changes.
    static func documentSeed(_ seed: UInt64, kind: UInt64, index: Int) -> UInt64 {
        var r = SeededRandom(seed: seed &* 1_000_003 &+ kind &* 10_007 &+ UInt64(index))
        return r.next()
    }

    /// The files a set generation wrote.
    public struct SetResult: Sendable {
        public var files: [String] = []
    }

    /// Generates a set into `out`. With `variants` nil: the standard set — `count` clean and
    /// `count` degraded sheets (layouts cycled), two born-digital, a two-page PDF, a PNG, a JPEG
    /// and a two-page TIFF. With variants: `count` documents of those variants only.
    public static func generateSet(out: URL, seed: UInt64, count: Int, layouts: [SampleLayout],
                                   variants: [SampleVariant]?) throws -> SetResult {
        guard !layouts.isEmpty else { throw SampleError.badArgument("no layout chosen") }
        guard count >= 1 else { throw SampleError.badArgument("--count must be at least 1") }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var result = SetResult()
        func spec(_ kind: UInt64, _ i: Int, _ layout: SampleLayout) -> PageSpec {
            PageSpec.random(seed: documentSeed(seed, kind: kind, index: i), layout: layout)
        }
        func add(_ url: URL) { result.files.append(url.lastPathComponent) }
        if let variants {
            for i in 0..<count {
                let v = variants[i % variants.count]
                let layout = layouts[i % layouts.count]
                let url = out.appendingPathComponent(String(format: "%@-%02d-%@.pdf", v.rawValue, i + 1, layout.rawValue))
                try writePDF([spec(kindCode(v), i, layout)], variant: v, to: url, seed: seed)
                add(url)
            }
            return result
        }
        for v in [SampleVariant.clean, .degraded] {
            for i in 0..<count {
                // Degraded sheets start two layouts later, so each layout gets both variants.
                let layout = layouts[(i + (v == .degraded ? 2 : 0)) % layouts.count]
                let url = out.appendingPathComponent(String(format: "%@-%02d-%@.pdf", v.rawValue, i + 1, layout.rawValue))
                try writePDF([spec(kindCode(v), i, layout)], variant: v, to: url, seed: seed)
                add(url)
            }
        }
        for i in 0..<2 {
            let layout = layouts[(i + 1) % layouts.count]
            let url = out.appendingPathComponent(String(format: "born-digital-%02d-%@.pdf", i + 1, layout.rawValue))
            try writePDF([spec(kindCode(.bornDigital), i, layout)], variant: .bornDigital, to: url, seed: seed)
            add(url)
        }
        let twoLayout = layouts[0]
        let two = out.appendingPathComponent("clean-2page-\(twoLayout.rawValue).pdf")
        try writePDF([spec(400, 0, twoLayout), spec(400, 1, twoLayout)], variant: .clean, to: two, seed: seed)
        add(two)
        let pngLayout = layouts[1 % layouts.count], jpgLayout = layouts[3 % layouts.count]
        let png = out.appendingPathComponent("image-\(pngLayout.rawValue).png")
        try writeImage([spec(500, 0, pngLayout)], format: .png, to: png, seed: seed)
        add(png)
        // One layout only (`--layout`): the JPEG gets a name of its own (its truth file is named by the stem).
        let jpg = out.appendingPathComponent(pngLayout == jpgLayout ? "image-jpeg-\(jpgLayout.rawValue).jpg" : "image-\(jpgLayout.rawValue).jpg")
        try writeImage([spec(600, 0, jpgLayout)], format: .jpeg, to: jpg, seed: seed)
        add(jpg)
        let tif = out.appendingPathComponent("image-2page-\(twoLayout.rawValue).tif")
        try writeImage([spec(700, 0, twoLayout), spec(700, 1, twoLayout)], format: .tiff, to: tif, seed: seed)
        add(tif)
        return result
    }

    static func kindCode(_ v: SampleVariant) -> UInt64 {
        switch v {
        case .clean: return 100
        case .degraded: return 200
        case .bornDigital: return 300
        }
    }
}

extension SampleGenerator {
    /// The small pages OCR tests use: `words.png` (1200×500 px, 300 dpi, gray, clear 12-14 pt
    /// DejaVu Sans) with `words.json`, and a born-digital one-page `textlayer.pdf` with
    /// `textlayer.json` (boxes at 300 dpi). Both JSON files are SampleTruth documents.
    public static func writeOCRFixtures(to dir: URL, seed: UInt64 = 7) throws -> [String] {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let s = try Sketch()
        let rows: [(String, Double, Bool)] = [
            ("Patient Name: RIVERA, ANA", 14, true),
            ("Account No: 40917733", 13, false),
            ("Date of Service 11/02/2026", 13, false),
            ("CPT 99309 Units 1", 12, false),
            ("Total 1936.98", 14, true),
        ]
        var y = 24.0
        for (text, size, bold) in rows {
            s.text(text, x: 18, y: y, size: size, bold: bold)
            y += 22.5
        }
        let canvas = try CairoCanvas(imageWidth: 1200, imageHeight: 500)
        canvas.scale(300.0 / 72)
        let words = s.replay(on: canvas)
        let image = canvas.grayPixels()
        let png = dir.appendingPathComponent("words.png")
        try GrayImage.write([image], to: png.path, format: .png, dpi: 300)
        let truth = SampleTruth(document: .init(name: "words.png", type: "ocr_fixture", variant: "clean", layout: "words"),
                                records: [], pages: [.init(page: 1, dpi: 300, width: 1200, height: 500, words: words)])
        try writeTruth(truth, beside: png)

        let pdf = dir.appendingPathComponent("textlayer.pdf")
        try writePDF([PageSpec.random(seed: seed, layout: .superbill)], variant: .bornDigital, to: pdf, seed: seed)
        return ["words.png", "words.json", "textlayer.pdf", "textlayer.json"]
    }
}
