import Foundation

/// A projective transform of the plane (3 × 3, row-major, h[8] = 1 after normalising): maps
/// a point of one frame (the form's) to another (the page's).
public struct Homography: Sendable, Equatable, Codable {
    public var h: [Double]

    public init(_ h: [Double]) {
        precondition(h.count == 9)
        self.h = h
    }

    public static let identity = Homography([1, 0, 0, 0, 1, 0, 0, 0, 1])

    /// Scale by `s` then shift by (`tx`, `ty`).
    public static func scaleShift(sx: Double, sy: Double, tx: Double, ty: Double) -> Homography {
        Homography([sx, 0, tx, 0, sy, ty, 0, 0, 1])
    }

    /// A rotation by `degrees` (counter-clockwise in image coordinates, y down, as Leptonica and
    /// the profile search measure it) about (`cx`, `cy`).
    public static func rotation(degrees: Double, cx: Double, cy: Double) -> Homography {
        let a = degrees * .pi / 180, c = cos(a), s = sin(a)
        // x' = c(x-cx) + s(y-cy) + cx ; y' = -s(x-cx) + c(y-cy) + cy
        return Homography([c, s, cx - c * cx - s * cy, -s, c, cy + s * cx - c * cy, 0, 0, 1])
    }

    @inline(__always)
    public func apply(_ x: Double, _ y: Double) -> (Double, Double) {
        let z = h[6] * x + h[7] * y + h[8]
        return ((h[0] * x + h[1] * y + h[2]) / z, (h[3] * x + h[4] * y + h[5]) / z)
    }

    /// `self` after `other`: x ↦ self(other(x)).
    public func after(_ o: Homography) -> Homography {
        var r = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { r[i * 3 + j] = (0..<3).reduce(0) { $0 + h[i * 3 + $1] * o.h[$1 * 3 + j] } } }
        return Homography(r).normalised()
    }

    public func normalised() -> Homography {
        let s = h[8]
        guard s != 0, s.isFinite else { return self }
        return Homography(h.map { $0 / s })
    }

    public var inverse: Homography? {
        let a = h
        let c00 = a[4] * a[8] - a[5] * a[7], c01 = a[5] * a[6] - a[3] * a[8], c02 = a[3] * a[7] - a[4] * a[6]
        let det = a[0] * c00 + a[1] * c01 + a[2] * c02
        guard abs(det) > 1e-12, det.isFinite else { return nil }
        let inv = [c00, a[2] * a[7] - a[1] * a[8], a[1] * a[5] - a[2] * a[4],
                   c01, a[0] * a[8] - a[2] * a[6], a[2] * a[3] - a[0] * a[5],
                   c02, a[1] * a[6] - a[0] * a[7], a[0] * a[4] - a[1] * a[3]]
        return Homography(inv.map { $0 / det }).normalised()
    }

    /// The same transform for images scaled by `fromScale` (source frame) and `toScale`
    /// (target frame): S_to · H · S_from⁻¹.
    public func rescaled(from fromScale: Double, to toScale: Double) -> Homography {
        Homography.scaleShift(sx: toScale, sy: toScale, tx: 0, ty: 0)
            .after(self).after(.scaleShift(sx: 1 / fromScale, sy: 1 / fromScale, tx: 0, ty: 0))
    }
}

/// Small dense linear systems (the Gauss-Newton steps): Gaussian elimination with partial
/// pivoting. Returns nil for a singular system.
enum LinearSolve {
    static func solve(_ a: [Double], _ b: [Double], n: Int) -> [Double]? {
        var m = a, x = b
        for col in 0..<n {
            var piv = col
            for r in (col + 1)..<max(col + 1, n) where abs(m[r * n + col]) > abs(m[piv * n + col]) { piv = r }
            guard abs(m[piv * n + col]) > 1e-15 else { return nil }
            if piv != col {
                for k in 0..<n { m.swapAt(col * n + k, piv * n + k) }
                x.swapAt(col, piv)
            }
            let d = m[col * n + col]
            for r in (col + 1)..<max(col + 1, n) {
                let f = m[r * n + col] / d
                if f == 0 { continue }
                for k in col..<n { m[r * n + k] -= f * m[col * n + k] }
                x[r] -= f * x[col]
            }
        }
        for col in stride(from: n - 1, through: 0, by: -1) {
            var s = x[col]
            for k in (col + 1)..<max(col + 1, n) { s -= m[col * n + k] * x[k] }
            x[col] = s / m[col * n + col]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}

/// Local corrections after the projective fit: a grid of displacements (in page pixels) over
/// the form, interpolated bilinearly between cell centres. A crinkled or curled sheet bends its
/// rulings a few pixels away from any one projective transform; the grid takes them back.
public struct DisplacementGrid: Sendable, Equatable, Codable {
    public var columns: Int
    public var rows: Int
    /// Form frame size the grid spans (pixels of the frame it was fitted in).
    public var width: Double
    public var height: Double
    /// Row-major (dx, dy) pairs, one per cell centre.
    public var dx: [Double]
    public var dy: [Double]

    public static func zero(columns: Int, rows: Int, width: Double, height: Double) -> DisplacementGrid {
        DisplacementGrid(columns: columns, rows: rows, width: width, height: height,
                         dx: .init(repeating: 0, count: columns * rows), dy: .init(repeating: 0, count: columns * rows))
    }

    public var isZero: Bool { dx.allSatisfy { $0 == 0 } && dy.allSatisfy { $0 == 0 } }

    /// The displacement at form point (x, y): bilinear between cell centres, constant beyond.
    @inline(__always)
    public func at(_ x: Double, _ y: Double) -> (Double, Double) {
        if columns == 0 || rows == 0 { return (0, 0) }
        let gx = min(max(x / width * Double(columns) - 0.5, 0), Double(columns - 1))
        let gy = min(max(y / height * Double(rows) - 0.5, 0), Double(rows - 1))
        let i0 = Int(gx), j0 = Int(gy)
        let i1 = min(i0 + 1, columns - 1), j1 = min(j0 + 1, rows - 1)
        let fx = gx - Double(i0), fy = gy - Double(j0)
        func lerp(_ v: [Double]) -> Double {
            let a = v[j0 * columns + i0] * (1 - fx) + v[j0 * columns + i1] * fx
            let b = v[j1 * columns + i0] * (1 - fx) + v[j1 * columns + i1] * fx
            return a * (1 - fy) + b * fy
        }
        return (lerp(dx), lerp(dy))
    }

    /// The same grid for a frame scaled by `f` (positions and displacements scale alike).
    public func scaled(_ f: Double) -> DisplacementGrid {
        DisplacementGrid(columns: columns, rows: rows, width: width * f, height: height * f,
                         dx: dx.map { $0 * f }, dy: dy.map { $0 * f })
    }
}

/// Where the form's frame lands on the page: page = H(x) + grid(x), both in page pixels, for
/// form-frame pixels x at `frameDPI`.
public struct FormMapping: Sendable, Equatable, Codable {
    public var frameDPI: Int
    public var homography: Homography
    public var grid: DisplacementGrid

    @inline(__always)
    public func toPage(_ x: Double, _ y: Double) -> (Double, Double) {
        let (u, v) = homography.apply(x, y)
        let (dx, dy) = grid.at(x, y)
        return (u + dx, v + dy)
    }

    /// The form-frame point that lands on page point (u, v): H⁻¹ with the grid taken back by a
    /// few fixed-point steps (the grid is smooth and a few pixels at most).
    public func toForm(_ u: Double, _ v: Double) -> (Double, Double)? {
        guard let inv = homography.inverse else { return nil }
        var (x, y) = inv.apply(u, v)
        for _ in 0..<4 {
            let (dx, dy) = grid.at(x, y)
            (x, y) = inv.apply(u - dx, v - dy)
        }
        return (x, y)
    }

    /// A form-frame box as the page box holding its four corners.
    public func pageBox(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> Box {
        let c = [toPage(x0, y0), toPage(x1, y0), toPage(x1, y1), toPage(x0, y1)]
        return Box(Int(c.map(\.0).min()!.rounded(.down)), Int(c.map(\.1).min()!.rounded(.down)),
                   Int(c.map(\.0).max()!.rounded(.up)), Int(c.map(\.1).max()!.rounded(.up)))
    }
}
