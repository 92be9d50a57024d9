import Foundation

/// What a page's pixels become before a registered form is read: the page resampled into the
/// form's frame, with the form's own ink taken out so that only what was typed on it is left.
///
/// Two ways tell the form from the data, and both are used:
/// - colour (drop-out): on a colour page, red ink is form;
/// - the registered blank: the form's ink, where registration puts it, is form too; what only
///   touches it (a ruling's remains a pixel or two off) goes with it. This is what works on a fax
///   or a gray copy, where the red has become black like the data.
/// Then long rules and specks are removed, and the kept ink keeps its gray levels (Tesseract
/// reads anti-aliased strokes better than a hard threshold).
public enum DataLayer {
    /// Page columns that are not paper white over nearly the whole page's height: a fax's or
    /// scanner's streaks, their gray edges included. (A form's own vertical rules stop at its
    /// boxes; text never runs the height of a page.)
    public static func streakColumns(_ darkness: Raster, share: Double = 0.95) -> [Int] {
        var counts = [Int](repeating: 0, count: darkness.width)
        darkness.pixels.withUnsafeBufferPointer { p in
            for y in 0..<darkness.height {
                let row = y * darkness.width
                for x in 0..<darkness.width where p[row + x] < 200 { counts[x] += 1 }
            }
        }
        let h = Double(max(darkness.height, 1))
        let shares = counts.map { Double($0) / h }
        func at(_ x: Int) -> Double { x >= 0 && x < shares.count ? shares[x] : 0 }
        // A streak is narrow: columns a few pixels away on both sides are mostly paper (a shadow
        // across a photo darkens whole regions, and is no streak). Its gray edges go with it.
        var cols = Set<Int>()
        for x in shares.indices where shares[x] >= share && at(x - 5) < 0.65 && at(x + 5) < 0.65 {
            cols.insert(x)
            var l = x - 1
            while l >= 0, x - l <= 3, shares[l] > 0.3 { cols.insert(l); l -= 1 }
            var r = x + 1
            while r < shares.count, r - x <= 3, shares[r] > 0.3 { cols.insert(r); r += 1 }
        }
        // Many dark columns are not streaks but a dark page (or a border): leave those alone.
        return cols.count > darkness.width / 5 ? [] : cols.sorted()
    }

    /// Each streak column replaced by the mean of the nearest clean columns on its sides (a
    /// stroke crossing the streak stays joined; one that only touches it is halved, not grown).
    public static func removingStreaks(_ r: Raster, columns: [Int]) -> Raster {
        var out = r
        replaceStreaks(&out.pixels, width: r.width, height: r.height, channels: 1, columns: columns)
        return out
    }

    public static func removingStreaks(_ img: RGBImage, columns: [Int]) -> RGBImage {
        var out = img
        replaceStreaks(&out.bytes, width: img.width, height: img.height, channels: 3, columns: columns)
        return out
    }

    /// Row-major pixels of `channels` bytes each: every streak column's bytes the mean of the
    /// nearest clean columns' (streak columns are read from the original values only).
    static func replaceStreaks(_ bytes: inout [UInt8], width: Int, height: Int, channels: Int, columns: [Int]) {
        guard !columns.isEmpty else { return }
        let streak = Set(columns)
        let src = bytes
        for c in columns {
            var l = c, r = c
            while l > 0 && streak.contains(l) { l -= 1 }
            while r < width - 1 && streak.contains(r) { r += 1 }
            for y in 0..<height {
                let i = (y * width + c) * channels, a = (y * width + l) * channels, b = (y * width + r) * channels
                for k in 0..<channels { bytes[i + k] = UInt8((Int(src[a + k]) + Int(src[b + k]) + 1) / 2) }
            }
        }
    }

    /// The page resampled into the form frame (`form.frameWidth` × `form.frameHeight` at
    /// `FormReference.frameDPI`): luminance, and for a colour page the two drop-out measures.
    struct Frame {
        var luma: Raster
        var redness: [Int16]?
        var chroma: [UInt8]?
    }

    static func resample(gray: Raster?, colour: RGBImage?, mapping: FormMapping, width: Int, height: Int) -> Frame {
        // The mapping on a lattice every 8 pixels, interpolated between: the projective map and
        // the grid are smooth at that scale, and it costs a fraction of mapping every pixel.
        let step = 8
        let lw = width / step + 2, lh = height / step + 2
        var lu = [Double](repeating: 0, count: lw * lh), lv = [Double](repeating: 0, count: lw * lh)
        for j in 0..<lh { for i in 0..<lw {
            let (u, v) = mapping.toPage(Double(i * step), Double(j * step))
            lu[j * lw + i] = u; lv[j * lw + i] = v
        } }
        let srcW = colour?.width ?? gray!.width, srcH = colour?.height ?? gray!.height
        var luma = [UInt8](repeating: 255, count: width * height)
        var red: [Int16]? = colour == nil ? nil : [Int16](repeating: 0, count: width * height)
        var chroma: [UInt8]? = colour == nil ? nil : [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            let j = y / step, fy = Double(y % step) / Double(step)
            for x in 0..<width {
                let i = x / step, fx = Double(x % step) / Double(step)
                let a = j * lw + i
                let u = (lu[a] * (1 - fx) + lu[a + 1] * fx) * (1 - fy) + (lu[a + lw] * (1 - fx) + lu[a + lw + 1] * fx) * fy
                let v = (lv[a] * (1 - fx) + lv[a + 1] * fx) * (1 - fy) + (lv[a + lw] * (1 - fx) + lv[a + lw + 1] * fx) * fy
                guard u >= 0, v >= 0, u < Double(srcW - 1), v < Double(srcH - 1) else { continue }
                let x0 = Int(u), y0 = Int(v), wx = u - Double(x0), wy = v - Double(y0)
                let o = y * width + x
                if let c = colour {
                    var ch = [0.0, 0.0, 0.0]
                    for k in 0..<3 {
                        let p00 = Double(c.bytes[(y0 * srcW + x0) * 3 + k]), p10 = Double(c.bytes[(y0 * srcW + x0 + 1) * 3 + k])
                        let p01 = Double(c.bytes[((y0 + 1) * srcW + x0) * 3 + k]), p11 = Double(c.bytes[((y0 + 1) * srcW + x0 + 1) * 3 + k])
                        ch[k] = (p00 * (1 - wx) + p10 * wx) * (1 - wy) + (p01 * (1 - wx) + p11 * wx) * wy
                    }
                    luma[o] = UInt8(min(255, (ch[0] * 77 + ch[1] * 150 + ch[2] * 29) / 256))
                    red![o] = Int16(ch[0] - max(ch[1], ch[2]))
                    chroma![o] = UInt8(min(255, max(ch[0], ch[1], ch[2]) - min(ch[0], ch[1], ch[2])))
                } else if let g = gray {
                    let p00 = Double(g.pixels[y0 * srcW + x0]), p10 = Double(g.pixels[y0 * srcW + x0 + 1])
                    let p01 = Double(g.pixels[(y0 + 1) * srcW + x0]), p11 = Double(g.pixels[(y0 + 1) * srcW + x0 + 1])
                    luma[o] = UInt8(min(255, ((p00 * (1 - wx) + p10 * wx) * (1 - wy) + (p01 * (1 - wx) + p11 * wx) * wy).rounded()))
                }
            }
        }
        return Frame(luma: Raster(width: width, height: height, pixels: luma), redness: red, chroma: chroma)
    }

    /// The typed data of a page registered through `mapping`, streaks removed first: what the
    /// page reader reads and what the second look crops.
    /// `gray` and `streaks`, when the caller has them already: the gray image's pixels and its
    /// streak columns (`streakColumns` of the page's darkness).
    public static func formData(_ raster: PageRaster, mapping: FormMapping, form: FormReference,
                                gray pixels: Raster? = nil, streaks known: [Int]? = nil) -> Raster {
        let streaks = known ?? streakColumns(raster.darkness())
        let colour = raster.colour.map { removingStreaks($0, columns: streaks) }
        let gray = colour == nil ? (pixels ?? raster.gray.raster()).map { removingStreaks($0, columns: streaks) } : nil
        return extract(gray: gray, colour: colour, mapping: mapping, form: form)
    }

    /// The typed data of a registered page, in the form frame (gray, 255 where there is none).
    public static func extract(gray: Raster?, colour: RGBImage?, mapping: FormMapping, form: FormReference) -> Raster {
        let w = form.frameWidth, h = form.frameHeight
        let frame = resample(gray: gray, colour: colour, mapping: mapping, width: w, height: h)
        let normal = frame.luma.backgroundNormalised(window: 24)
        let threshold = normal.otsuThreshold()
        var ink = Mask(width: w, height: h)
        let drop = form.layout.dropOut
        // On a colour page, colour tells the form's ink from the typed black; the blank's ink only
        // takes away what is not clearly typed (gray or tinted), so a digit touching a ruling
        // (24F's dollars beside the cents line) keeps its strokes. On a gray page (a fax, a copy)
        // the blank's ink is all there is to tell them apart.
        let typed = UInt8(Double(threshold) * 0.6)
        for i in 0..<(w * h) where normal.pixels[i] < threshold {
            if let red = frame.redness, let chroma = frame.chroma {
                if Int(red[i]) > drop.minRedness && Int(chroma[i]) > drop.minChroma { continue }
                if form.frameInkNear.bits[i] != 0 && !(normal.pixels[i] < typed && Int(chroma[i]) <= drop.minChroma) { continue }
            } else if form.frameInkNear.bits[i] != 0 {
                continue
            }
            ink.bits[i] = 1
        }
        // Long rules the blank does not have where they are found (a misprinted or shifted line).
        let rules = ink.horizontalRuns(atLeast: 80).union(ink.verticalRuns(atLeast: 60))
        for i in ink.bits.indices where rules.bits[i] != 0 { ink.bits[i] = 0 }
        ink = keepingData(ink, formInk: form.frameInkWide, minArea: 8)
        // The kept strokes with their gray levels, a pixel around them included.
        let keep = ink.dilated(1)
        var out = [UInt8](repeating: 255, count: w * h)
        for i in 0..<(w * h) where keep.bits[i] != 0 { out[i] = normal.pixels[i] }
        return Raster(width: w, height: h, pixels: out)
    }

    /// Connected pieces of ink that are data: at least `minArea` pixels, and not lying wholly
    /// on the form's (grown) ink — the remains of a ruling are, a typed character is not.
    static func keepingData(_ ink: Mask, formInk: Mask, minArea: Int) -> Mask {
        var out = Mask(width: ink.width, height: ink.height)
        _ = connectedPieces(width: ink.width, height: ink.height, isInk: { ink.bits[$0] != 0 }) { _, members in
            guard members.count >= minArea, members.contains(where: { formInk.bits[$0] == 0 }) else { return }
            for p in members { out.bits[p] = 1 }
        }
        return out
    }
}
