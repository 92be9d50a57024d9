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
        guard !columns.isEmpty else { return r }
        let streak = Set(columns)
        var out = r
        for c in columns {
            var l = c, rr = c
            while l > 0 && streak.contains(l) { l -= 1 }
            while rr < r.width - 1 && streak.contains(rr) { rr += 1 }
            for y in 0..<r.height { out.pixels[y * r.width + c] = UInt8((Int(r.pixels[y * r.width + l]) + Int(r.pixels[y * r.width + rr]) + 1) / 2) }
        }
        return out
    }

    public static func removingStreaks(_ img: RGBImage, columns: [Int]) -> RGBImage {
        guard !columns.isEmpty else { return img }
        let streak = Set(columns)
        var out = img
        for c in columns {
            var l = c, rr = c
            while l > 0 && streak.contains(l) { l -= 1 }
            while rr < img.width - 1 && streak.contains(rr) { rr += 1 }
            for y in 0..<img.height {
                let i = (y * img.width + c) * 3, a = (y * img.width + l) * 3, b = (y * img.width + rr) * 3
                for k in 0..<3 { out.bytes[i + k] = UInt8((Int(img.bytes[a + k]) + Int(img.bytes[b + k]) + 1) / 2) }
            }
        }
        return out
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
    public static func formData(_ raster: PageRaster, mapping: FormMapping, form: FormReference) -> Raster {
        let streaks = streakColumns(raster.darkness())
        let colour = raster.colour.map { removingStreaks($0, columns: streaks) }
        let gray = colour == nil ? raster.gray.raster().map { removingStreaks($0, columns: streaks) } : nil
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
        let w = ink.width, h = ink.height
        var label = [Int32](repeating: 0, count: w * h)
        var out = Mask(width: w, height: h)
        var stack: [Int] = []
        var members: [Int] = []
        var next: Int32 = 0
        for start in 0..<(w * h) where ink.bits[start] != 0 && label[start] == 0 {
            next += 1
            label[start] = next
            stack.append(start)
            members.removeAll(keepingCapacity: true)
            var outside = false
            while let p = stack.popLast() {
                members.append(p)
                if formInk.bits[p] == 0 { outside = true }
                let px = p % w, py = p / w
                for dy in -1...1 {
                    let ny = py + dy
                    guard ny >= 0, ny < h else { continue }
                    for dx in -1...1 {
                        let nx = px + dx
                        guard nx >= 0, nx < w, dx != 0 || dy != 0 else { continue }
                        let q = ny * w + nx
                        if ink.bits[q] != 0 && label[q] == 0 { label[q] = next; stack.append(q) }
                    }
                }
            }
            if outside && members.count >= minArea { for p in members { out.bits[p] = 1 } }
        }
        return out
    }
}
