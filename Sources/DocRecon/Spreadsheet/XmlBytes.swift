import Foundation

/// Small helpers for scanning XML as bytes (the sheet and shared-strings parts are large; a
/// byte scanner over complete elements is many times faster than an event parser).
enum XmlBytes {
    static let lt = UInt8(ascii: "<"), gt = UInt8(ascii: ">"), slash = UInt8(ascii: "/")
    static let quote = UInt8(ascii: "\""), apos = UInt8(ascii: "'"), eq = UInt8(ascii: "=")
    static let amp = UInt8(ascii: "&")

    /// Index of the first occurrence of `needle` in `buf[from..<to]`, or nil.
    @inline(__always)
    static func find(_ needle: StaticString, in buf: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let n = needle.utf8CodeUnitCount
        let p = needle.utf8Start
        guard n > 0, to - from >= n else { return nil }
        let first = p[0]
        var i = from
        let last = to - n
        while i <= last {
            if buf[i] == first {
                var k = 1
                while k < n && buf[i + k] == p[k] { k += 1 }
                if k == n { return i }
            }
            i += 1
        }
        return nil
    }

    /// Index of the last occurrence of `needle` in `buf[0..<to]`, or nil.
    static func findLast(_ needle: StaticString, in buf: UnsafeBufferPointer<UInt8>, to: Int) -> Int? {
        let n = needle.utf8CodeUnitCount
        let p = needle.utf8Start
        var i = to - n
        while i >= 0 {
            if buf[i] == p[0] {
                var k = 1
                while k < n && buf[i + k] == p[k] { k += 1 }
                if k == n { return i }
            }
            i -= 1
        }
        return nil
    }

    @inline(__always)
    static func findByte(_ b: UInt8, in buf: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        var i = from
        while i < to { if buf[i] == b { return i }; i += 1 }
        return nil
    }

    /// Does `buf[at...]` start with `s`? (The caller knows `at + s.count <= buf.count`.)
    @inline(__always)
    static func startsWith(_ s: StaticString, in buf: UnsafeBufferPointer<UInt8>, at: Int) -> Bool {
        let n = s.utf8CodeUnitCount
        let p = s.utf8Start
        for k in 0..<n where buf[at + k] != p[k] { return false }
        return true
    }

    /// Is `buf[at...]` the tag name `name` followed by a delimiter (space, `>`, `/`)?
    @inline(__always)
    static func isTag(_ name: StaticString, in buf: UnsafeBufferPointer<UInt8>, at: Int, to: Int) -> Bool {
        let n = name.utf8CodeUnitCount
        guard at + n < to else { return false }
        let p = name.utf8Start
        for k in 0..<n where buf[at + k] != p[k] { return false }
        let d = buf[at + n]
        return d == gt || d == slash || d == 0x20 || d == 0x09 || d == 0x0A || d == 0x0D
    }

    /// The value of attribute `name` in the tag text `buf[from..<to]` (between `<x` and `>`), raw.
    static func attribute(_ name: StaticString, in buf: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Range<Int>? {
        let n = name.utf8CodeUnitCount
        let p = name.utf8Start
        var i = from
        while i < to {
            // attribute names start after whitespace
            let c = buf[i]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                let s = i + 1
                if s + n < to {
                    var k = 0
                    while k < n && buf[s + k] == p[k] { k += 1 }
                    if k == n {
                        var j = s + n
                        while j < to && (buf[j] == 0x20 || buf[j] == 0x09) { j += 1 }
                        if j < to && buf[j] == eq {
                            j += 1
                            while j < to && (buf[j] == 0x20 || buf[j] == 0x09) { j += 1 }
                            if j < to && (buf[j] == quote || buf[j] == apos) {
                                let q = buf[j]
                                if let e = findByte(q, in: buf, from: j + 1, to: to) { return (j + 1)..<e }
                            }
                        }
                    }
                }
            } else if c == quote || c == apos {
                // skip a quoted value so text inside it is never taken for a name
                if let e = findByte(c, in: buf, from: i + 1, to: to) { i = e }
            }
            i += 1
        }
        return nil
    }

    /// Decodes XML text (entities, character references) in `buf[r]` to a String.
    static func text(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        if findByte(amp, in: buf, from: r.lowerBound, to: r.upperBound) == nil {
            return String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self)
        }
        var out = [UInt8]()
        out.reserveCapacity(r.count)
        appendDecoded(buf, r, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendDecoded(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, to out: inout [UInt8]) {
        var i = r.lowerBound
        while i < r.upperBound {
            let c = buf[i]
            if c != amp { out.append(c); i += 1; continue }
            guard let semi = findByte(UInt8(ascii: ";"), in: buf, from: i + 1, to: min(r.upperBound, i + 12)) else {
                out.append(c); i += 1; continue
            }
            let ent = String(decoding: UnsafeBufferPointer(rebasing: buf[(i + 1)..<semi]), as: UTF8.self)
            var scalar: Unicode.Scalar?
            switch ent {
            case "amp": scalar = "&"
            case "lt": scalar = "<"
            case "gt": scalar = ">"
            case "quot": scalar = "\""
            case "apos": scalar = "'"
            default:
                if ent.hasPrefix("#x") || ent.hasPrefix("#X") {
                    scalar = UInt32(ent.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if ent.hasPrefix("#") {
                    scalar = UInt32(ent.dropFirst()).flatMap(Unicode.Scalar.init)
                }
            }
            if let s = scalar {
                out.append(contentsOf: Array(String(Character(s)).utf8))
                i = semi + 1
            } else {
                out.append(c); i += 1
            }
        }
    }

    /// A cell string's `_xHHHH_` escapes (how Excel and libxlsxwriter store characters XML 1.0
    /// cannot carry, e.g. control characters; `_x005F_` is a literal underscore) decoded.
    static func unescapeOOXML(_ s: String) -> String {
        guard s.utf8.contains(UInt8(ascii: "_")) else { return s }
        let u = Array(s.utf8)
        var out = [UInt8]()
        out.reserveCapacity(u.count)
        var i = 0
        var changed = false
        func hex(_ b: UInt8) -> UInt32? {
            switch b {
            case 48...57: return UInt32(b - 48)
            case 65...70: return UInt32(b - 55)
            case 97...102: return UInt32(b - 87)
            default: return nil
            }
        }
        while i < u.count {
            if u[i] == UInt8(ascii: "_"), i + 6 < u.count, u[i + 1] == UInt8(ascii: "x"), u[i + 6] == UInt8(ascii: "_"),
               let a = hex(u[i + 2]), let b = hex(u[i + 3]), let c = hex(u[i + 4]), let d = hex(u[i + 5]),
               let sc = Unicode.Scalar(a << 12 | b << 8 | c << 4 | d) {
                out.append(contentsOf: Array(String(Character(sc)).utf8))
                i += 7
                changed = true
                continue
            }
            out.append(u[i])
            i += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : s
    }

    /// Parses an unsigned decimal integer; nil when not all digits or empty.
    @inline(__always)
    static func int(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        guard !r.isEmpty, r.count < 18 else { return nil }
        var v = 0
        for i in r {
            let d = Int(buf[i]) &- 48
            guard d >= 0 && d <= 9 else { return nil }
            v = v &* 10 &+ d
        }
        return v
    }

    /// Parses a number as written in a `<v>` element (integers fast, the rest through strtod).
    static func double(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Double? {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi && (buf[lo] == 0x20 || buf[lo] == 0x0A || buf[lo] == 0x0D || buf[lo] == 0x09) { lo += 1 }
        while hi > lo && (buf[hi - 1] == 0x20 || buf[hi - 1] == 0x0A || buf[hi - 1] == 0x0D || buf[hi - 1] == 0x09) { hi -= 1 }
        guard lo < hi else { return nil }
        var neg = false
        var s = lo
        if buf[s] == UInt8(ascii: "-") { neg = true; s += 1 }
        if let v = int(buf, s..<hi) { return neg ? -Double(v) : Double(v) }
        guard hi - lo < 64 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 65) { tmp -> Double? in
            var k = 0
            for i in lo..<hi { tmp[k] = CChar(bitPattern: buf[i]); k += 1 }
            tmp[k] = 0
            var end: UnsafeMutablePointer<CChar>?
            let v = strtod(tmp.baseAddress!, &end)
            guard let e = end, e - tmp.baseAddress! == k else { return nil }
            return v
        }
    }

    /// 0-based column index of a cell reference such as `AB12`; nil when it has no letters.
    @inline(__always)
    static func column(ofRef buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        var col = 0
        var letters = 0
        for i in r {
            var c = buf[i]
            if c >= 97 && c <= 122 { c -= 32 }
            guard c >= 65 && c <= 90 else { break }
            col = col * 26 + Int(c - 64)
            letters += 1
            if letters > 3 { return nil }
        }
        return letters == 0 ? nil : col - 1
    }
}

/// Some producers (the .NET Open XML SDK among them) write SpreadsheetML with a prefix on every
/// element — `<x:worksheet xmlns:x="…/main"><x:sheetData><x:row>` — which is the same document
/// to any XML reader. The byte scanners look for unprefixed names, so a part whose root element
/// carries a prefix is streamed through this filter, which drops that prefix from element names
/// (`<x:row` → `<row`, `</x:c>` → `</c>`). Other prefixes (`r:id`) and attribute names stay as
/// they are. A part without a prefixed root passes through untouched (the usual case, no copy).
struct XmlPrefixStripper {
    private enum Mode { case undecided, passThrough, strip([UInt8]) }
    private var mode = Mode.undecided
    private var carry: [UInt8] = []

    /// Filters the next piece of the part; what cannot be decided yet is held back.
    mutating func feed(_ data: Data) -> Data {
        switch mode {
        case .passThrough:
            return data
        case .undecided:
            carry.append(contentsOf: data)
            guard let p = Self.rootPrefix(carry) else {
                if carry.count > 1 << 20 { mode = .passThrough; return flushCarry() }  // no root element in 1 MB: not ours to fix
                return Data()
            }
            if p.isEmpty { mode = .passThrough; return flushCarry() }
            mode = .strip(p)
            let all = carry; carry = []
            return Data(strip(all, prefix: p))
        case .strip(let p):
            let all = carry + data; carry = []
            return Data(strip(all, prefix: p))
        }
    }

    /// What is still held back at the end of the part.
    mutating func finish() -> Data {
        let rest = carry; carry = []
        if case .strip(let p) = mode { return Data(stripAll(rest, prefix: p)) }
        return Data(rest)
    }

    private mutating func flushCarry() -> Data {
        let d = Data(carry); carry = []; return d
    }

    /// The root element's prefix including the colon (`x:`), empty when it has none, nil when
    /// the root start tag has not arrived yet.
    static func rootPrefix(_ b: [UInt8]) -> [UInt8]? {
        var i = 0
        while i < b.count {
            guard b[i] == XmlBytes.lt else { i += 1; continue }
            guard i + 1 < b.count else { return nil }
            let c = b[i + 1]
            if c == UInt8(ascii: "?") || c == UInt8(ascii: "!") { i += 2; continue }
            var j = i + 1
            while j < b.count, !Self.endsName(b[j]) {
                if b[j] == UInt8(ascii: ":") { return Array(b[(i + 1)...j]) }
                j += 1
            }
            return j < b.count ? [] : nil
        }
        return nil
    }

    static func endsName(_ c: UInt8) -> Bool {
        c == XmlBytes.gt || c == XmlBytes.slash || c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D
    }

    /// Strips the prefix after every `<` or `</`; keeps back a tail that may be a cut prefix.
    private mutating func strip(_ b: [UInt8], prefix p: [UInt8]) -> [UInt8] {
        // A '<' within the last p.count + 1 bytes may start a prefix that is not all here yet.
        var keepFrom = b.count
        if let lt = b.lastIndex(of: XmlBytes.lt), b.count - lt <= p.count + 1 { keepFrom = lt }
        carry = Array(b[keepFrom...])
        return stripAll(Array(b[..<keepFrom]), prefix: p)
    }

    private func stripAll(_ b: [UInt8], prefix p: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            let c = b[i]
            out.append(c)
            i += 1
            guard c == XmlBytes.lt else { continue }
            if i < b.count, b[i] == XmlBytes.slash { out.append(XmlBytes.slash); i += 1 }
            if i + p.count <= b.count, b[i..<(i + p.count)].elementsEqual(p) { i += p.count }
        }
        return out
    }
}
