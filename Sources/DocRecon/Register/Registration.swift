import Foundation

/// The printed form a page is registered against, prepared once per worker: its rulings as
/// seen at the registration resolution (masks, sampled points, profiles) and its whole ink at
/// the frame resolution (for taking it out of the data).
public final class FormReference: @unchecked Sendable {
    public let layout: FormLayout
    /// Registration works at this resolution (page and form alike).
    public static let registrationDPI = 100
    /// The form frame: where boxes are measured, data is taken out and read.
    public static let frameDPI = 200
    /// Form rulings at the registration resolution: the mask, points sampled on it, the row
    /// profile of horizontal rules and the edge profile of their ends.
    let rulings: Mask
    let points: [(Double, Double)]
    /// Points on vertical rules only: they alone pin the horizontal position (horizontal rules
    /// fit as well a box to the left or right).
    let verticalPoints: [(Double, Double)]
    let rowProfile: [Double]
    let columnProfile: [Double]
    /// The form's ink in the frame (1 = ink), and grown by 1 and by 3 pixels.
    public let frameInk: Mask
    let frameInkNear: Mask
    let frameInkWide: Mask
    public var frameWidth: Int { frameInk.width }
    public var frameHeight: Int { frameInk.height }
    /// The strips the form's boxes are read in (FormReader).
    public let bands: [FormReader.Band]

    /// Prepares `layout` from its blank form, rendered from its reference PDF.
    public convenience init(layout: FormLayout) throws {
        let doc = try PDFDocument(path: layout.reference)
        let page = try doc.renderColour(layout.page, dpi: FormReference.frameDPI, maxPixels: 60_000_000)
        self.init(layout: layout, blank: page.darkness())
    }

    /// From the blank form's darkness (the darkest channel) rendered at `frameDPI`.
    public init(layout: FormLayout, blank: Raster) {
        self.layout = layout
        frameInk = blank.mask(below: 200)
        frameInkNear = frameInk.dilated(1)
        frameInkWide = frameInk.dilated(3)
        let reduced = blank.reduced(by: FormReference.frameDPI / FormReference.registrationDPI)
        let ink = reduced.mask(below: 200)
        let (h, v) = FormRegistration.lines(ink)
        rulings = h.union(v)
        rowProfile = FormRegistration.rowProfile(h)
        columnProfile = FormRegistration.columnProfile(h, v)
        points = FormRegistration.samplePoints(h, count: 2500)
        verticalPoints = FormRegistration.samplePoints(v, count: 1500)
        bands = FormReader.bands(layout, width: frameInk.width, height: frameInk.height)
    }
}

/// How well a page registered, and where the form lands on it.
public struct RegistrationResult: Sendable, Equatable, Codable {
    public var mapping: FormMapping
    /// Median distance (page pixels at the registration resolution) from the form's rulings to
    /// the nearest ink on the page, and the share of them within 1.5 pixels.
    public var residual: Double
    public var inliers: Double
    /// The page's skew the coarse search found (degrees).
    public var skew: Double
    /// Good enough to read boxes through.
    public var accepted: Bool
}

/// Registration of a page against a printed form: the rulings of the blank are found on the
/// page, first coarsely (skew by projection profiles, then scale and shift of each axis by
/// matching the profiles of horizontal rules and of their ends), then exactly (Gauss-Newton on
/// the distance from the form's rulings to the page's ink, for a projective transform, coarse to
/// fine), then locally (a grid of small shifts for a crinkled or curled sheet). Robust to the
/// data written over the form (it has no long rules), to fax streaks (vertical, ignored by the
/// coarse search, truncated by the fine one) and to faded or gray ink (it only needs darkness).
public enum FormRegistration {
    /// A page is accepted when this share of the form's rulings lies on ink.
    public static let minInliers = 0.45

    /// Registers `page` (its darkness) against `form`.
    public static func register(_ page: Raster, form: FormReference) -> RegistrationResult? {
        // Reduced to about the registration resolution by the page's size against the form's, not
        // by the resolution it claims (an image without one is taken as 300 dpi): the form
        // fills the page it is printed on.
        let byWidth = Double(page.width) / Double(form.rulings.width)
        let factor = max(1, Int(byWidth.rounded()))
        let small = page.reduced(by: factor)
        let pageScale = Double(factor)  // page pixels per registration pixel
        let normal = small.backgroundNormalised(window: 14)
        let ink = normal.mask(below: normal.otsuThreshold())
        // Skew, then the axes' scale and shift on the deskewed page.
        let skew = skewAngle(ink)
        let cx = Double(ink.width) / 2, cy = Double(ink.height) / 2
        let rotate = Homography.rotation(degrees: skew, cx: cx, cy: cy)  // page → deskewed
        let straight = abs(skew) > 0.05 ? rotated(ink, by: rotate) : ink
        let (h, v) = lines(straight)
        // The form fills a letter page: its scale is about the page's width over the form's.
        let nominal = Double(ink.width) / Double(form.rulings.width)
        guard let (sy, ty) = matchProfiles(rowProfile(h), form.rowProfile, around: nominal),
              let (sx, tx) = matchProfiles(columnProfile(h, v), form.columnProfile, around: nominal),
              let back = rotate.inverse else { return nil }
        var w = back.after(.scaleShift(sx: sx, sy: sy, tx: tx, ty: ty))  // form → page, registration pixels
        // Exact: coarse to fine.
        let all = form.points + form.verticalPoints
        let half = ink.reducedMask()
        let dtHalf = DistanceField(half)
        w = refine(w.rescaled(from: 0.5, to: 0.5), points: all.map { ($0.0 / 2, $0.1 / 2) }, field: dtHalf, truncation: 12)
            .rescaled(from: 2, to: 2)
        let dt = DistanceField(ink)
        w = refine(w, points: all, field: dt, truncation: 8)
        w = refine(w, points: all, field: dt, truncation: 4)
        let grid = localShifts(w, points: all, field: dt, frame: (Double(form.rulings.width), Double(form.rulings.height)))
        let (residual, inliersH) = fit(w, grid, points: form.points, field: dt)
        let (_, inliersV) = fit(w, grid, points: form.verticalPoints, field: dt)
        // A page fits when both kinds of rule lie on ink: the weaker share is the fit's.
        let inliers = min(inliersH, inliersV)
        // Form frame (frameDPI) → page pixels.
        let f = Double(FormReference.registrationDPI) / Double(FormReference.frameDPI)
        let pageH = Homography.scaleShift(sx: pageScale, sy: pageScale, tx: 0, ty: 0).after(w)
            .after(.scaleShift(sx: f, sy: f, tx: 0, ty: 0))
        let pageGrid = DisplacementGrid(columns: grid.columns, rows: grid.rows, width: grid.width / f, height: grid.height / f,
                                        dx: grid.dx.map { $0 * pageScale }, dy: grid.dy.map { $0 * pageScale })
        return RegistrationResult(mapping: FormMapping(frameDPI: FormReference.frameDPI, homography: pageH, grid: pageGrid),
                                  residual: residual, inliers: inliers, skew: skew, accepted: inliers >= minInliers)
    }

    // MARK: born-digital

    /// A page's text layer (words in pixels at `dpi`) against a form's boxes: a filled form
    /// printed to PDF has no pixels to register, but its words sit in the form's boxes, at the
    /// form's size, shifted at most a few points by the program that printed it. The shift that
    /// puts most words in boxes is taken; the page fits when at least 12 words and 80% of them
    /// are in boxes (a form whose labels are printed as text does not: it is read by its labels).
    /// Nil otherwise, and for a page of another size.
    public static func registerText(_ words: [RecognizedWord], pageSize: (width: Double, height: Double), dpi: Int,
                                    layout: FormLayout) -> RegistrationResult? {
        guard abs(pageSize.width - layout.width) <= layout.width * 0.03, abs(pageSize.height - layout.height) <= layout.height * 0.03 else { return nil }
        let toPt = 72 / Double(dpi)
        let centres = words.filter { $0.text.contains(where: { $0.isLetter || $0.isNumber }) }
            .map { ($0.box.midX * toPt, $0.box.midY * toPt) }
        guard centres.count >= 12 else { return nil }
        // The boxes crossing each 1-point row of the form.
        let rows = Int(layout.height) + 2
        var byRow = [[FormLayout.Box]](repeating: [], count: rows)
        for b in layout.boxes.values {
            for r in max(0, Int(b.y0) - 1)...min(rows - 1, Int(b.y1) + 1) { byRow[r].append(b) }
        }
        func inBoxes(_ dx: Double, _ dy: Double) -> Int {
            var n = 0
            for (x, y) in centres {
                let fx = x - dx, fy = y - dy
                let r = Int(fy)
                guard r >= 0, r < rows else { continue }
                if byRow[r].contains(where: { fx >= $0.x0 - 1 && fx <= $0.x1 + 1 && fy >= $0.y0 - 1 && fy <= $0.y1 + 1 }) { n += 1 }
            }
            return n
        }
        var best = (inBoxes(0, 0), 0.0, 0.0)
        // Text of another kind of page falls in the form's boxes by chance too (they cover much
        // of the page): only a near-complete fit counts, and only a promising page is searched.
        let start = Double(best.0) / Double(centres.count)
        if start >= 0.3 && start < 0.95 {
            for dy in stride(from: -12.0, through: 12, by: 2) {
                for dx in stride(from: -12.0, through: 12, by: 2) {
                    let n = inBoxes(dx, dy); if n > best.0 { best = (n, dx, dy) }
                }
            }
            let (_, cx, cy) = best
            for dy in stride(from: cy - 1.5, through: cy + 1.5, by: 0.5) {
                for dx in stride(from: cx - 1.5, through: cx + 1.5, by: 0.5) {
                    let n = inBoxes(dx, dy); if n > best.0 { best = (n, dx, dy) }
                }
            }
        }
        let share = Double(best.0) / Double(centres.count)
        guard best.0 >= 12, share >= 0.8 else { return nil }
        // Form frame (frameDPI) → page pixels: a scale and the shift.
        let s = Double(dpi) / Double(FormReference.frameDPI), px = Double(dpi) / 72
        let mapping = FormMapping(frameDPI: FormReference.frameDPI,
                                  homography: .scaleShift(sx: s, sy: s, tx: best.1 * px, ty: best.2 * px),
                                  grid: .zero(columns: 1, rows: 1, width: Double(FormReference.frameDPI) * layout.width / 72,
                                              height: Double(FormReference.frameDPI) * layout.height / 72))
        return RegistrationResult(mapping: mapping, residual: 0, inliers: share, skew: 0, accepted: true)
    }

    // MARK: coarse

    /// Horizontal and vertical rules: runs of ink at least 0.2 in long.
    static func lines(_ ink: Mask) -> (Mask, Mask) {
        let length = FormReference.registrationDPI / 5
        return (ink.horizontalRuns(atLeast: length), ink.verticalRuns(atLeast: length))
    }

    static func rowProfile(_ h: Mask) -> [Double] {
        var p = [Double](repeating: 0, count: h.height)
        for y in 0..<h.height { var s = 0; for x in 0..<h.width { s += Int(h.bits[y * h.width + x]) }; p[y] = Double(s) }
        return smoothed(p)
    }

    /// The horizontal position profile: where horizontal rules start and end, and where the
    /// vertical rules stand, each scaled to its own peak so that neither outweighs the other.
    static func columnProfile(_ h: Mask, _ v: Mask) -> [Double] {
        let ends = endProfile(h)
        var cols = [Double](repeating: 0, count: v.width)
        for y in 0..<v.height { for x in 0..<v.width { cols[x] += Double(v.bits[y * v.width + x]) } }
        let vert = smoothed(cols)
        let e = max(ends.max() ?? 1, 1), m = max(vert.max() ?? 1, 1)
        return zip(ends, vert).map { $0 / e + $1 / m }
    }

    /// Where horizontal rules start and end, column by column.
    static func endProfile(_ h: Mask) -> [Double] {
        var cols = [Double](repeating: 0, count: h.width)
        for y in 0..<h.height { for x in 0..<h.width { cols[x] += Double(h.bits[y * h.width + x]) } }
        var p = [Double](repeating: 0, count: h.width)
        for x in 0..<h.width { p[x] = abs(cols[x] - (x > 0 ? cols[x - 1] : 0)) }
        return smoothed(p)
    }

    static func smoothed(_ p: [Double]) -> [Double] {
        var out = p
        for i in p.indices {
            var s = 0.0
            for k in -2...2 { let j = i + k; if j >= 0 && j < p.count { s += p[j] } }
            out[i] = s / 5
        }
        return out
    }

    /// The scale s (within 15% of `around`) and shift d with page[s·x + d] best matching form[x].
    static func matchProfiles(_ page: [Double], _ form: [Double], around: Double = 1) -> (Double, Double)? {
        guard !page.isEmpty, !form.isEmpty else { return nil }
        let nz = form.indices.filter { form[$0] > 0 }
        guard !nz.isEmpty else { return nil }
        func score(_ s: Double, _ d: Double) -> Double {
            var sum = 0.0
            for x in nz {
                let i = Int((s * Double(x) + d).rounded())
                if i >= 0 && i < page.count { sum += page[i] * form[x] }
            }
            return sum
        }
        let range = Double(page.count) * 0.15
        var best = (-1.0, 1.0, 0.0)
        for s in stride(from: around * 0.85, through: around * 1.15, by: 0.005 * around) {
            for d in stride(from: -range, through: range, by: 2) {
                let v = score(s, d)
                if v > best.0 { best = (v, s, d) }
            }
        }
        let (_, s0, d0) = best
        for s in stride(from: s0 - 0.006 * around, through: s0 + 0.006 * around, by: 0.001 * around) {
            for d in stride(from: d0 - 3, through: d0 + 3, by: 1) {
                let v = score(s, d)
                if v > best.0 { best = (v, s, d) }
            }
        }
        return best.0 > 0 ? (best.1, best.2) : nil
    }

    /// The page's skew in degrees (counter-clockwise positive, as `Homography.rotation` turns):
    /// the angle at which the rows of ink are sharpest (most contrast between neighbouring rows).
    static func skewAngle(_ ink: Mask) -> Double {
        // Every other ink pixel of each row is plenty for a profile (every row is needed: skipping
        // rows would make the unturned profile look sharpest).
        var pts: [(Double, Double)] = []
        pts.reserveCapacity(ink.count / 2 + 1)
        for y in 0..<ink.height {
            for x in stride(from: 0, to: ink.width, by: 2) where ink.bits[y * ink.width + x] != 0 {
                pts.append((Double(x), Double(y)))
            }
        }
        guard pts.count > 100 else { return 0 }
        let cx = Double(ink.width) / 2, cy = Double(ink.height) / 2
        func sharpness(_ deg: Double) -> Double {
            let a = deg * .pi / 180, c = cos(a), s = sin(a)
            let n = ink.height + 200
            var hist = [Double](repeating: 0, count: n)
            for (x, y) in pts {
                let r = -s * (x - cx) + c * (y - cy) + cy + 100
                let i = Int(r)
                if i >= 0 && i < n { hist[i] += 1 }
            }
            var sum = 0.0
            for i in 1..<n { let d = hist[i] - hist[i - 1]; sum += d * d }
            return sum
        }
        var best = (sharpness(0), 0.0)
        for deg in stride(from: -6.0, through: 6.0, by: 0.25) {
            let v = sharpness(deg); if v > best.0 { best = (v, deg) }
        }
        let coarse = best.1
        for deg in stride(from: coarse - 0.25, through: coarse + 0.25, by: 0.05) {
            let v = sharpness(deg); if v > best.0 { best = (v, deg) }
        }
        return best.1
    }

    /// `ink` seen through `t` (page → turned), nearest neighbour.
    static func rotated(_ ink: Mask, by t: Homography) -> Mask {
        guard let inv = t.inverse else { return ink }
        var out = Mask(width: ink.width, height: ink.height)
        for y in 0..<ink.height {
            for x in 0..<ink.width {
                let (u, v) = inv.apply(Double(x), Double(y))
                let xi = Int(u.rounded()), yi = Int(v.rounded())
                if xi >= 0 && xi < ink.width && yi >= 0 && yi < ink.height && ink.bits[yi * ink.width + xi] != 0 {
                    out.bits[y * ink.width + x] = 1
                }
            }
        }
        return out
    }

    static func samplePoints(_ m: Mask, count: Int) -> [(Double, Double)] {
        var all: [(Double, Double)] = []
        for y in 0..<m.height { for x in 0..<m.width where m.bits[y * m.width + x] != 0 { all.append((Double(x), Double(y))) } }
        guard all.count > count else { return all }
        let step = Double(all.count) / Double(count)
        return (0..<count).map { all[Int(Double($0) * step)] }
    }

    // MARK: exact

    /// Gauss-Newton (Levenberg-damped) on the squared distance from each form point, mapped by
    /// `w`, to the nearest page ink; points farther than `truncation` are left out (text, noise,
    /// another rule).
    static func refine(_ start: Homography, points: [(Double, Double)], field: DistanceField, truncation: Float,
                       iterations: Int = 15) -> Homography {
        var w = start
        for it in 0..<iterations {
            var a = [Double](repeating: 0, count: 64), b = [Double](repeating: 0, count: 8)
            var used = 0
            var j = [Double](repeating: 0, count: 8)
            for (px, py) in points {
                let h = w.h
                let z = h[6] * px + h[7] * py + h[8]
                let u = (h[0] * px + h[1] * py + h[2]) / z, v = (h[3] * px + h[4] * py + h[5]) / z
                guard let (d, gx, gy) = field.sample(u, v), d < truncation else { continue }
                let ux = px / z, uy = py / z, iz = 1 / z
                j[0] = Double(gx) * ux; j[1] = Double(gx) * uy; j[2] = Double(gx) * iz
                j[3] = Double(gy) * ux; j[4] = Double(gy) * uy; j[5] = Double(gy) * iz
                j[6] = -(Double(gx) * u + Double(gy) * v) * ux; j[7] = -(Double(gx) * u + Double(gy) * v) * uy
                let r = Double(d)
                for p in 0..<8 {
                    b[p] += j[p] * r
                    for q in 0..<8 { a[p * 8 + q] += j[p] * j[q] }
                }
                used += 1
            }
            guard used >= 50 else { break }
            for p in 0..<8 { a[p * 8 + p] *= 1.001; a[p * 8 + p] += 1e-9 }
            guard let delta = LinearSolve.solve(a, b.map { -$0 }, n: 8) else { break }
            var h = w.h
            for p in 0..<8 { h[p] += delta[p] }
            let next = Homography(h)
            // Stop when the step moves no corner of the page by more than a hundredth of a pixel.
            let moved = [(0.0, 0.0), (Double(field.width), 0), (0, Double(field.height)), (Double(field.width), Double(field.height))]
                .map { c -> Double in let (a0, a1) = w.apply(c.0, c.1), (b0, b1) = next.apply(c.0, c.1); return max(abs(a0 - b0), abs(a1 - b1)) }
                .max() ?? 0
            w = next
            if moved < 0.01 && it > 2 { break }
        }
        return w
    }

    /// A 5 × 6 grid of shifts, each the Gauss-Newton translation of the form points in its cell.
    static func localShifts(_ w: Homography, points: [(Double, Double)], field: DistanceField,
                            frame: (Double, Double), columns: Int = 5, rows: Int = 6) -> DisplacementGrid {
        var grid = DisplacementGrid.zero(columns: columns, rows: rows, width: frame.0, height: frame.1)
        var cells = [[(Double, Double)]](repeating: [], count: columns * rows)
        for p in points {
            let i = min(columns - 1, max(0, Int(p.0 / frame.0 * Double(columns))))
            let jj = min(rows - 1, max(0, Int(p.1 / frame.1 * Double(rows))))
            cells[jj * columns + i].append(w.apply(p.0, p.1))
        }
        var known = [Bool](repeating: false, count: columns * rows)
        for c in cells.indices where cells[c].count >= 40 {
            var t = (0.0, 0.0)
            for _ in 0..<8 {
                var a00 = 0.0, a01 = 0.0, a11 = 0.0, b0 = 0.0, b1 = 0.0, used = 0
                for (u, v) in cells[c] {
                    guard let (d, gx, gy) = field.sample(u + t.0, v + t.1), d < 4 else { continue }
                    let g0 = Double(gx), g1 = Double(gy), r = Double(d)
                    a00 += g0 * g0; a01 += g0 * g1; a11 += g1 * g1; b0 += g0 * r; b1 += g1 * r; used += 1
                }
                guard used >= 20 else { break }
                let damp = 1e-3 * max(1, a00 + a11)
                a00 += damp; a11 += damp
                let det = a00 * a11 - a01 * a01
                guard abs(det) > 1e-12 else { break }
                t.0 -= (a11 * b0 - a01 * b1) / det
                t.1 -= (a00 * b1 - a01 * b0) / det
                t = (min(max(t.0, -6), 6), min(max(t.1, -6), 6))
            }
            grid.dx[c] = t.0; grid.dy[c] = t.1; known[c] = true
        }
        // A cell without rulings takes its neighbours' mean.
        for c in known.indices where !known[c] {
            let ci = c % columns, cj = c / columns
            var sx = 0.0, sy = 0.0, n = 0.0
            for dj in -1...1 { for di in -1...1 {
                let i = ci + di, jj = cj + dj
                guard i >= 0, i < columns, jj >= 0, jj < rows, known[jj * columns + i] else { continue }
                sx += grid.dx[jj * columns + i]; sy += grid.dy[jj * columns + i]; n += 1
            } }
            if n > 0 { grid.dx[c] = sx / n; grid.dy[c] = sy / n }
        }
        return grid
    }

    /// Median distance of the mapped form points to page ink, and the share within 1.5 pixels.
    static func fit(_ w: Homography, _ grid: DisplacementGrid, points: [(Double, Double)], field: DistanceField) -> (Double, Double) {
        var ds: [Float] = []
        ds.reserveCapacity(points.count)
        for p in points {
            let (u, v) = w.apply(p.0, p.1), (dx, dy) = grid.at(p.0, p.1)
            ds.append(field.sample(u + dx, v + dy)?.0 ?? 1000)
        }
        guard !ds.isEmpty else { return (1000, 0) }
        ds.sort()
        let within = ds.filter { $0 <= 1.5 }.count
        return (Double(ds[ds.count / 2]), Double(within) / Double(ds.count))
    }
}

/// A distance transform with its gradient, sampled at real-valued points (bilinear).
struct DistanceField {
    let width: Int, height: Int
    let d: [Float]

    init(_ m: Mask) {
        width = m.width; height = m.height
        d = m.distanceTransform(cap: 64)
    }

    /// Distance and its gradient at (u, v), nil outside.
    @inline(__always)
    func sample(_ u: Double, _ v: Double) -> (Float, Float, Float)? {
        guard u >= 1, v >= 1, u < Double(width - 2), v < Double(height - 2) else { return nil }
        let x = Int(u), y = Int(v)
        let fx = Float(u - Double(x)), fy = Float(v - Double(y))
        @inline(__always) func at(_ x: Int, _ y: Int) -> Float { d[y * width + x] }
        let d00 = at(x, y), d10 = at(x + 1, y), d01 = at(x, y + 1), d11 = at(x + 1, y + 1)
        let value = (d00 * (1 - fx) + d10 * fx) * (1 - fy) + (d01 * (1 - fx) + d11 * fx) * fy
        let gx = ((d10 - d00) * (1 - fy) + (d11 - d01) * fy)
        let gy = ((d01 - d00) * (1 - fx) + (d11 - d10) * fx)
        return (value, gx, gy)
    }
}

extension Mask {
    /// Half size: a pixel is ink when any of its four is.
    func reducedMask() -> Mask {
        let w = (width + 1) / 2, h = (height + 1) / 2
        var out = Mask(width: w, height: h)
        for y in 0..<height { for x in 0..<width where bits[y * width + x] != 0 { out.bits[(y / 2) * w + x / 2] = 1 } }
        return out
    }
}

/// Form references prepared once per process and shared by the readers (a blank is rendered and
/// measured once, whatever the number of workers).
public final class FormReferences: @unchecked Sendable {
    public static let shared = FormReferences()
    private let lock = NSLock()
    private var byPath: [String: FormReference] = [:]

    public func reference(_ layout: FormLayout) throws -> FormReference {
        lock.lock(); defer { lock.unlock() }
        let key = layout.reference + "#\(layout.page)"
        if let r = byPath[key], r.layout == layout { return r }
        let r = try FormReference(layout: layout)
        byPath[key] = r
        return r
    }
}
