import Foundation

/// A gray image as plain bytes (row-major, 0 = black), for the registration and drop-out
/// arithmetic that Leptonica has no one function for. Small and value-typed; the pages it holds
/// are reduced (registration works at 100 dpi) or one form frame (200 dpi).
public struct Raster: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height)
        self.width = width; self.height = height; self.pixels = pixels
    }

    public init(width: Int, height: Int, fill: UInt8) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: fill, count: width * height))
    }

    @inline(__always) public subscript(x: Int, y: Int) -> UInt8 { pixels[y * width + x] }

    /// Each `factor` × `factor` block averaged into one pixel (the last partial blocks too).
    public func reduced(by factor: Int) -> Raster {
        guard factor > 1 else { return self }
        let w = (width + factor - 1) / factor, h = (height + factor - 1) / factor
        var sums = [UInt32](repeating: 0, count: w * h), counts = [UInt32](repeating: 0, count: w * h)
        pixels.withUnsafeBufferPointer { src in
            sums.withUnsafeMutableBufferPointer { s in
                counts.withUnsafeMutableBufferPointer { c in
                    for y in 0..<height {
                        let row = (y / factor) * w, base = y * width
                        for x in 0..<width {
                            let i = row + x / factor
                            s[i] &+= UInt32(src[base + x]); c[i] &+= 1
                        }
                    }
                }
            }
        }
        return Raster(width: w, height: h, pixels: zip(sums, counts).map { UInt8($0 / max($1, 1)) })
    }

    /// Uneven light taken out: each pixel divided by the local paper white (the brightest value
    /// around it, smoothed), so a shadow or a gradient across a photo reads like a flat scan.
    public func backgroundNormalised(window: Int) -> Raster {
        let step = max(1, window / 2)
        let small = maxReduced(by: step)
        var bg = small.boxBlurred(radius: 2)
        // Paper is never black: a dark area (a stain, a black bar) is no reference for white.
        for i in bg.pixels.indices where bg.pixels[i] < 96 { bg.pixels[i] = 96 }
        var out = [UInt8](repeating: 255, count: width * height)
        let sw = bg.width, sh = bg.height
        bg.pixels.withUnsafeBufferPointer { b in
            pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { o in
                    for y in 0..<height {
                        let fy = min(max((Double(y) + 0.5) / Double(step) - 0.5, 0), Double(sh - 1))
                        let y0 = Int(fy), y1 = min(y0 + 1, sh - 1), wy = fy - Double(y0)
                        for x in 0..<width {
                            let fx = min(max((Double(x) + 0.5) / Double(step) - 0.5, 0), Double(sw - 1))
                            let x0 = Int(fx), x1 = min(x0 + 1, sw - 1), wx = fx - Double(x0)
                            let top = Double(b[y0 * sw + x0]) * (1 - wx) + Double(b[y0 * sw + x1]) * wx
                            let bot = Double(b[y1 * sw + x0]) * (1 - wx) + Double(b[y1 * sw + x1]) * wx
                            let white = top * (1 - wy) + bot * wy
                            let v = Double(src[y * width + x]) * 255 / max(white, 1)
                            o[y * width + x] = UInt8(min(255, v.rounded()))
                        }
                    }
                }
            }
        }
        return Raster(width: width, height: height, pixels: out)
    }

    /// The brightest pixel of each `factor` × `factor` block.
    func maxReduced(by factor: Int) -> Raster {
        let w = (width + factor - 1) / factor, h = (height + factor - 1) / factor
        var out = [UInt8](repeating: 0, count: w * h)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<height {
                    let row = (y / factor) * w, base = y * width
                    for x in 0..<width where src[base + x] > o[row + x / factor] { o[row + x / factor] = src[base + x] }
                }
            }
        }
        return Raster(width: w, height: h, pixels: out)
    }

    /// Mean over a (2r+1)² window, edges clamped (separable running sums).
    func boxBlurred(radius r: Int) -> Raster {
        guard r > 0 else { return self }
        func pass(_ src: [UInt8], _ w: Int, _ h: Int, horizontal: Bool) -> [UInt8] {
            var out = src
            let n = horizontal ? w : h, lines = horizontal ? h : w
            for l in 0..<lines {
                @inline(__always) func idx(_ k: Int) -> Int { horizontal ? l * w + k : k * w + l }
                var sum = 0
                for k in -r...r { sum += Int(src[idx(min(max(k, 0), n - 1))]) }
                for k in 0..<n {
                    out[idx(k)] = UInt8(sum / (2 * r + 1))
                    sum += Int(src[idx(min(k + r + 1, n - 1))]) - Int(src[idx(max(k - r, 0))])
                }
            }
            return out
        }
        let a = pass(pixels, width, height, horizontal: true)
        return Raster(width: width, height: height, pixels: pass(a, width, height, horizontal: false))
    }

    /// Otsu's threshold: the gray level that best splits the histogram in two (ink < t).
    public func otsuThreshold() -> UInt8 {
        var hist = [Int](repeating: 0, count: 256)
        for p in pixels { hist[Int(p)] += 1 }
        let total = Double(pixels.count)
        let sumAll = (0..<256).reduce(0.0) { $0 + Double($1) * Double(hist[$1]) }
        var sumB = 0.0, wB = 0.0, best = 0.0, t = 128
        for i in 0..<256 {
            wB += Double(hist[i])
            if wB == 0 { continue }
            let wF = total - wB
            if wF == 0 { break }
            sumB += Double(i) * Double(hist[i])
            let mB = sumB / wB, mF = (sumAll - sumB) / wF
            let between = wB * wF * (mB - mF) * (mB - mF)
            if between > best { best = between; t = i }
        }
        return UInt8(min(255, t + 1))
    }

    /// Pixels darker than `threshold` (ink) as a mask.
    public func mask(below threshold: UInt8) -> Mask {
        Mask(width: width, height: height, bits: pixels.map { $0 < threshold ? 1 : 0 })
    }
}

/// A binary image as bytes (1 = ink).
public struct Mask: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var bits: [UInt8]

    public init(width: Int, height: Int, bits: [UInt8]) {
        precondition(bits.count == width * height)
        self.width = width; self.height = height; self.bits = bits
    }

    public init(width: Int, height: Int) { self.init(width: width, height: height, bits: .init(repeating: 0, count: width * height)) }

    @inline(__always) public subscript(x: Int, y: Int) -> Bool { bits[y * width + x] != 0 }
    public var count: Int { bits.reduce(0) { $0 + Int($1) } }

    /// Horizontal runs of ink at least `length` long (an opening with a 1 × length line):
    /// the form's horizontal rules, without its text.
    public func horizontalRuns(atLeast length: Int) -> Mask { runs(atLeast: length, horizontal: true) }

    /// Vertical runs of ink at least `length` long.
    public func verticalRuns(atLeast length: Int) -> Mask { runs(atLeast: length, horizontal: false) }

    private func runs(atLeast length: Int, horizontal: Bool) -> Mask {
        var out = Mask(width: width, height: height)
        let n = horizontal ? width : height, lines = horizontal ? height : width
        for l in 0..<lines {
            @inline(__always) func idx(_ k: Int) -> Int { horizontal ? l * width + k : k * width + l }
            var k = 0
            while k < n {
                if bits[idx(k)] == 0 { k += 1; continue }
                let s = k
                while k < n && bits[idx(k)] != 0 { k += 1 }
                if k - s >= length { for m in s..<k { out.bits[idx(m)] = 1 } }
            }
        }
        return out
    }

    public func union(_ o: Mask) -> Mask {
        Mask(width: width, height: height, bits: zip(bits, o.bits).map { $0 | $1 })
    }

    /// Grown by `r` pixels in every direction (a square structuring element).
    public func dilated(_ r: Int) -> Mask {
        guard r > 0 else { return self }
        func pass(_ src: [UInt8], horizontal: Bool) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: src.count)
            let n = horizontal ? width : height, lines = horizontal ? height : width
            for l in 0..<lines {
                @inline(__always) func idx(_ k: Int) -> Int { horizontal ? l * width + k : k * width + l }
                var last = -1_000_000
                for k in 0..<n {  // distance to the last ink on the left
                    if src[idx(k)] != 0 { last = k }
                    if k - last <= r { out[idx(k)] = 1 }
                }
                last = 1_000_000
                for k in stride(from: n - 1, through: 0, by: -1) {
                    if src[idx(k)] != 0 { last = k }
                    if last - k <= r { out[idx(k)] = 1 }
                }
            }
            return out
        }
        return Mask(width: width, height: height, bits: pass(pass(bits, horizontal: true), horizontal: false))
    }

    /// Euclidean distance from every pixel to the nearest ink pixel (Felzenszwalb and
    /// Huttenlocher's two-pass lower-envelope transform), capped at `cap`.
    public func distanceTransform(cap: Float = 1000) -> [Float] {
        let inf = 1e20
        var f = [Double](repeating: 0, count: width * height)
        for i in bits.indices { f[i] = bits[i] != 0 ? 0 : inf }
        let n0 = max(width, height)
        var buf = [Double](repeating: 0, count: n0), out = [Double](repeating: 0, count: n0)
        var v = [Int](repeating: 0, count: n0), z = [Double](repeating: 0, count: n0 + 1)
        func line(_ n: Int) {
            var k = 0
            v[0] = 0; z[0] = -inf; z[1] = inf
            if n > 1 {
                for q in 1..<n {
                    var s = 0.0
                    while true {
                        let p = v[k]
                        s = ((buf[q] + Double(q * q)) - (buf[p] + Double(p * p))) / Double(2 * q - 2 * p)
                        if s <= z[k] && k > 0 { k -= 1 } else { break }
                    }
                    k += 1
                    v[k] = q; z[k] = s; z[k + 1] = inf
                }
            }
            k = 0
            for q in 0..<n {
                while z[k + 1] < Double(q) { k += 1 }
                let d = Double(q - v[k])
                out[q] = d * d + buf[v[k]]
            }
        }
        for x in 0..<width {
            for y in 0..<height { buf[y] = f[y * width + x] }
            line(height)
            for y in 0..<height { f[y * width + x] = out[y] }
        }
        var result = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width { buf[x] = f[y * width + x] }
            line(width)
            for x in 0..<width { result[y * width + x] = Float(min(Double(cap), out[x].squareRoot())) }
        }
        return result
    }
}

/// 8-connected pieces of a `width` × `height` image: the pixels where `isInk`, labelled from 1
/// (0: not ink). `body` is given each piece's label and its pixels (indices, row-major) as it is
/// found; the labels of every pixel are returned.
@inline(__always)
func connectedPieces(width w: Int, height h: Int, isInk: (Int) -> Bool, _ body: (Int32, [Int]) -> Void) -> [Int32] {
    var label = [Int32](repeating: 0, count: w * h)
    var stack: [Int] = []
    var members: [Int] = []
    var next: Int32 = 0
    for start in 0..<(w * h) where label[start] == 0 && isInk(start) {
        next += 1
        label[start] = next
        stack.append(start)
        members.removeAll(keepingCapacity: true)
        while let p = stack.popLast() {
            members.append(p)
            let px = p % w, py = p / w
            for dy in -1...1 {
                let ny = py + dy
                guard ny >= 0, ny < h else { continue }
                for dx in -1...1 {
                    let nx = px + dx
                    guard nx >= 0, nx < w, dx != 0 || dy != 0 else { continue }
                    let q = ny * w + nx
                    if label[q] == 0 && isInk(q) { label[q] = next; stack.append(q) }
                }
            }
        }
        body(next, members)
    }
    return label
}
