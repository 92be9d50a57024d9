import Foundation

/// Reads what was typed on a registered form: the data layer (DataLayer) is cut into strips,
/// one per row of boxes, and each strip is read as one line of text. A strip holds only typed
/// values on white, straightened and at a known scale, which Tesseract reads far better than the
/// whole form with its labels, rules and shading (measured on the CMS-1500 dev set: see
/// bench/ocr-quality/RESULTS.md). Words come back in page pixels.
public enum FormReader {
    /// A row of boxes read as one strip (form-frame pixels), in segments: neighbouring boxes
    /// that hold the same characters (24A's date parts and place of service: digits; 24D's code;
    /// 24F's charges) are read together with that character set, so a `06` is not read `gg`.
    public struct Band: Sendable, Equatable {
        public var x0: Int, y0: Int, x1: Int, y1: Int
        public var boxes: [String]
        public var segments: [Segment] = []
    }

    public struct Segment: Sendable, Equatable {
        public var x0: Double, x1: Double
        /// The characters its boxes may hold (nil: any).
        public var charset: String?
        /// Its boxes' spans (x0, x1) when it has several (24A's MM, DD, YY), else empty.
        public var boxes: [Box] = []
        public struct Box: Sendable, Equatable { public var x0: Double, x1: Double }

        init(x0: Double, x1: Double, charset: String?, boxes: [(Double, Double)] = []) {
            self.x0 = x0; self.x1 = x1; self.charset = charset
            self.boxes = boxes.map { Box(x0: $0.0, x1: $0.1) }
        }
    }

    /// Boxes whose vertical centres are within 8 frame pixels (1 mm at 200 dpi) share a strip.
    public static func bands(_ layout: FormLayout, dpi: Int = FormReference.frameDPI, width: Int, height: Int) -> [Band] {
        var rows: [(top: Double, bottom: Double, left: Double, right: Double, names: [String])] = []
        for name in layout.boxes.keys.sorted() {
            let (x0, y0, x1, y1) = layout.boxes[name]!.pixels(dpi: dpi)
            let mid = (y0 + y1) / 2
            if let i = rows.firstIndex(where: { abs(($0.top + $0.bottom) / 2 - mid) < 8 }) {
                rows[i].top = min(rows[i].top, y0); rows[i].bottom = max(rows[i].bottom, y1)
                rows[i].left = min(rows[i].left, x0); rows[i].right = max(rows[i].right, x1)
                rows[i].names.append(name)
            } else {
                rows.append((y0, y1, x0, x1, [name]))
            }
        }
        return rows.sorted { $0.top < $1.top }.map { r in
            var band = Band(x0: max(0, Int(r.left) - 10), y0: max(0, Int(r.top) - 5),
                            x1: min(width, Int(r.right.rounded(.up)) + 10), y1: min(height, Int(r.bottom.rounded(.up)) + 5), boxes: r.names)
            band.segments = segments(r.names, layout: layout, dpi: dpi, x0: Double(band.x0), x1: Double(band.x1))
            return band
        }
    }

    /// The band's boxes, left to right, grouped while their character set stays the same; each
    /// group reaches halfway to the next.
    static func segments(_ names: [String], layout: FormLayout, dpi: Int, x0: Double, x1: Double) -> [Segment] {
        let boxes = names.map { (layout.boxes[$0]!.pixels(dpi: dpi), layout.charsets[$0]) }.sorted { $0.0.0 < $1.0.0 }
        var out: [(x0: Double, x1: Double, charset: String?, parts: [(Double, Double)])] = []
        for (b, cs) in boxes {
            if let last = out.last, last.charset == cs {
                out[out.count - 1].x1 = max(last.x1, b.2)
                out[out.count - 1].parts.append((b.0, b.2))
            }
            else { out.append((b.0, b.2, cs, [(b.0, b.2)])) }
        }
        var segs: [Segment] = []
        for (i, o) in out.enumerated() {
            let left = i == 0 ? x0 : (out[i - 1].x1 + o.x0) / 2
            let right = i == out.count - 1 ? x1 : (o.x1 + out[i + 1].x0) / 2
            // Each box of the segment reaches halfway to its neighbours (the segment's ends outside).
            let parts = o.parts.count < 2 ? [] : o.parts.indices.map { k in
                (k == 0 ? left : (o.parts[k - 1].1 + o.parts[k].0) / 2,
                 k == o.parts.count - 1 ? right : (o.parts[k].1 + o.parts[k + 1].0) / 2)
            }
            segs.append(Segment(x0: left, x1: right, charset: o.charset, boxes: parts))
        }
        return segs
    }

    /// Strips are read at 1.5 times the frame's resolution (300 dpi for the 200-dpi frame).
    static let scale = 1.5


    /// One connected piece of the data layer (pixels < 255, 8-connected).
    struct Piece {
        var x0: Int, y0: Int, x1: Int, y1: Int
        var cy: Double
        var label: Int32
    }

    /// The data layer's pieces and the label of every pixel (0: white).
    static func pieces(_ data: Raster) -> ([Piece], [Int32]) {
        let w = data.width
        var out: [Piece] = []
        let label = connectedPieces(width: w, height: data.height, isInk: { data.pixels[$0] < 255 }) { id, members in
            var p = Piece(x0: Int.max, y0: Int.max, x1: 0, y1: 0, cy: 0, label: id)
            var sumY = 0
            for q in members {
                let x = q % w, y = q / w
                p.x0 = min(p.x0, x); p.x1 = max(p.x1, x + 1); p.y0 = min(p.y0, y); p.y1 = max(p.y1, y + 1)
                sumY += y
            }
            p.cy = Double(sumY) / Double(max(members.count, 1))
            out.append(p)
        }
        return (out, label)
    }

    /// Reads every band of `data` (the frame) with `ocr`; words in page pixels through `mapping`.
    /// A band's strip holds the pieces of ink whose middle lies in its row of boxes, whole (typing
    /// is often taller than its box, and a cut through it reads as garbage) and nothing else (the
    /// row above or below, which tall typing nearly touches).
    /// What a developer looking at strips gets (docrecon-dev register --strips): the band, the
    /// strip as Tesseract saw it, and what it read.
    public typealias StripWatcher = (_ band: Int, _ strip: Pix, _ words: [RecognizedWord]) -> Void

    public static func read(_ data: Raster, bands: [Band], mapping: FormMapping, ocr: Tesseract,
                            watch: StripWatcher? = nil) -> [RecognizedWord] {
        var out: [RecognizedWord] = []
        let (all, label) = pieces(data)
        // Each piece goes to one band: of the bands whose row (a little taller both ways) holds its
        // middle, the one whose middle is closest.
        var chosenBy = [[Piece]](repeating: [], count: bands.count)
        for p in all {
            let cx = Double(p.x0 + p.x1) / 2
            var best: (Int, Double)?
            for (bi, band) in bands.enumerated() where cx >= Double(band.x0) && cx <= Double(band.x1) {
                let top = Double(band.y0 + 5), bottom = Double(band.y1 - 5)
                let slack = max(2, (bottom - top) * 0.2)
                guard p.cy >= top - slack, p.cy <= bottom + slack else { continue }
                let d = abs(p.cy - (top + bottom) / 2)
                if best == nil || d < best!.1 { best = (bi, d) }
            }
            if let (bi, _) = best { chosenBy[bi].append(p) }
        }
        for (bi, band) in bands.enumerated() where !chosenBy[bi].isEmpty {
            let segs = band.segments.isEmpty ? [Segment(x0: Double(band.x0), x1: Double(band.x1), charset: nil)] : band.segments
            var bySegment = [[Piece]](repeating: [], count: segs.count)
            for p in chosenBy[bi] {
                let cx = Double(p.x0 + p.x1) / 2
                let si = segs.firstIndex { cx >= $0.x0 && cx < $0.x1 } ?? (cx < segs[0].x0 ? 0 : segs.count - 1)
                bySegment[si].append(p)
            }
            for (si, chosen) in bySegment.enumerated() where !chosen.isEmpty {
                let read = { (pieces: [Piece]) in
                    readStrip(pieces, data: data, label: label, charset: segs[si].charset, mapping: mapping, ocr: ocr, line: bi, watch: watch)
                }
                out += segs[si].boxes.isEmpty ? read(chosen) : readBoxByBox(chosen, boxes: segs[si].boxes, read: read)
            }
        }
        return out
    }

    /// A run of digit boxes (24A's MM DD YY): Tesseract reads each box's two digits alone far
    /// better than the boxes together, whose wide gaps it drops digits across (`07 28 20` read
    /// `7228`; CMS-1500 dev set, tuned half: line dates 61% → 89%), but alone it is sure of a
    /// wrong pair more often. So the run is read both ways: the box-by-box words stand when the
    /// two readings have the same digits, and otherwise come with their confidence lowered
    /// below what extraction accepts, so the value goes to review instead of standing as ok.
    static func readBoxByBox(_ chosen: [Piece], boxes: [Segment.Box], read: ([Piece]) -> [RecognizedWord]) -> [RecognizedWord] {
        var parts = [[Piece]](repeating: [], count: boxes.count)
        for p in chosen {
            let cx = Double(p.x0 + p.x1) / 2
            let k = boxes.firstIndex { cx >= $0.x0 && cx < $0.x1 } ?? (cx < boxes[0].x0 ? 0 : boxes.count - 1)
            parts[k].append(p)
        }
        let split = parts.filter { !$0.isEmpty }.flatMap(read)
        let whole = read(chosen)
        let digits = { (ws: [RecognizedWord]) in ws.map(\.text).joined().filter(\.isNumber) }
        guard digits(split) != digits(whole) else { return split }
        return split.map { w in
            var w = w
            w.confidence = min(w.confidence, disagreementConfidence)
            return w
        }
    }

    /// The confidence of a box-by-box word the whole-run reading disagrees with (extraction
    /// sends a value under the template's review_confidence, 0.55 for the 1500, to review).
    static let disagreementConfidence = 30.0

    /// The pieces `chosen` on white, read as one line (with `charset` when given).
    static func readStrip(_ chosen: [Piece], data: Raster, label: [Int32], charset: String?, mapping: FormMapping,
                          ocr: Tesseract, line: Int, watch: StripWatcher? = nil) -> [RecognizedWord] {
        let border = 12
        let x0 = max(0, chosen.map(\.x0).min()! - 4), x1 = min(data.width, chosen.map(\.x1).max()! + 4)
        let y0 = max(0, chosen.map(\.y0).min()! - 4), y1 = min(data.height, chosen.map(\.y1).max()! + 4)
        let w = x1 - x0, h = y1 - y0
        guard w > 4, h > 4 else { return [] }
        let ids = Set(chosen.map(\.label))
        var strip = [UInt8](repeating: 255, count: w * h)
        var dark = 0
        for y in y0..<y1 {
            for x in x0..<x1 {
                let k = y * data.width + x
                guard label[k] != 0, ids.contains(label[k]) else { continue }
                strip[(y - y0) * w + x - x0] = data.pixels[k]
                if data.pixels[k] < 128 { dark += 1 }
            }
        }
        guard dark >= 15, let pix = Raster(width: w, height: h, pixels: strip).pix(dpi: FormReference.frameDPI),
              let big = pix.scaled(scale), let framed = big.bordered(border) else { return [] }
        let words = ocr.lineWords(in: framed, dpi: Int(Double(FormReference.frameDPI) * scale), whitelist: charset)
        watch?(line, framed, words)
        return words.enumerated().map { wi, word in
            // Strip pixels → frame → page.
            let fx0 = Double(word.box.x0 - border) / scale + Double(x0)
            let fy0 = Double(word.box.y0 - border) / scale + Double(y0)
            let fx1 = Double(word.box.x1 - border) / scale + Double(x0)
            let fy1 = Double(word.box.y1 - border) / scale + Double(y0)
            return RecognizedWord(text: word.text, box: mapping.pageBox(fx0, fy0, fx1, fy1), confidence: word.confidence,
                                  block: line, line: line, word: wi)
        }
    }
}
